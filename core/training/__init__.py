"""The encoder and its training: the paper's encoder, its objectives, the neighbour graph they use, and Refine's fine-tuning of the sentence model."""
