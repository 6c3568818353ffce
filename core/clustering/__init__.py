"""Clusters: K-Means and its metrics, the cluster stages, the co-view, the choice of k, a hierarchy, edits, comparing and assigning new texts, clusters over time."""
