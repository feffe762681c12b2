"""Network: fuse the signals' significant pairs into one graph and find its communities."""
