"""2-D maps: the projections' registry, landmarks for big corpora."""
