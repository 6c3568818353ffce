"""What is kept on disk: the embedding store, the stage-result cache, projects and their files, atomic writes."""
