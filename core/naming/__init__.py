"""Words for clusters and texts: names, descriptions, search by meaning and by words."""
