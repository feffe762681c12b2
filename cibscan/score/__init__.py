"""Score: account and cluster scores with a stated meaning, sub-scores per signal, reasons."""
