"""Sentence embeddings: the embedders a user picks, their backends, the model files, embeddings as files and on Ray."""
