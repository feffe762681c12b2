"""Report: exports of the findings (tables now; HTML, GEXF, GraphML and STIX come next)."""
