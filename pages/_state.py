"""Every session-state key the app uses, named in one place."""

# sidebar controls (widget keys)
SOURCE = "source"              # which data source is chosen (one of SOURCES' labels)
UPLOAD = "upload"              # the uploaded file (st.file_uploader)
SERVER_PATH = "server_path"    # a path on the server (only when the operator allows it)
TEXT_COL = "text_col"
LABEL_COL = "label_col"
FRACTION = "fraction"
HIDDEN = "hidden"
LATENT = "latent"
OBJECTIVE = "objective"
EPOCHS = "epochs"
K = "k"
CLUSTER_METHOD = "cluster_method"
PROJECTION = "projection"
SEED = "seed"

# map page
COLOUR_BY = "colour_by"
MAP_CHART = "map_chart"        # the plotly chart's selection state

# clusters page
FOCUS_CLUSTER = "focus_cluster"  # the cluster the map sent the user to
SEARCH = "search"

# results kept between reruns
PREVIOUS_LABELS = "previous_labels"  # {data key: aligned labels of the last clustering}, for stable colours

# a lock held while this session's run computes its view: one heavy job per session at a time
HEAVY_JOB = "heavy_job"

# what the sidebar resolved this run: (Source | None, RunConfig), read by every page
CURRENT = "current"

# cluster edits (pages/_edits.py): the Edits of the current data+encoder+k, a split being previewed,
# a notice to show once after the edits were reset, and the edit widgets
EDITS = "edits"
SPLIT_PREVIEW = "split_preview"
EDITS_RESET = "edits_reset"
EDIT_DONE = "edit_done"
SPLIT_CLUSTER = "edit_split_cluster"
SPLIT_PARTS = "edit_split_parts"
MERGE = "edit_merge"
RENAME_CLUSTER = "edit_rename_cluster"
RENAME_TO = "edit_rename_to"
