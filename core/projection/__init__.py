"""2-D maps: the projections' registry, landmarks for big corpora, which points a map draws."""
