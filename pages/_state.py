"""Every session-state key the app uses, named in one place."""

# sidebar controls (widget keys)
SOURCE = "source"              # which data source is chosen (one of SOURCES' labels)
UPLOAD = "upload"              # the uploaded file (st.file_uploader)
EMBEDDINGS_UPLOAD = "embeddings_upload"  # an optional embeddings file (pages/_embeddings_upload.py)
EMBEDDINGS_USED = "embeddings_used"      # the FileEmbedder of the last good embeddings file, kept over a bad one
SERVER_PATH = "server_path"    # a path on the server (only when the operator allows it)
TEXT_COL = "text_col"
LABEL_COL = "label_col"
FRACTION = "fraction"
HIDDEN = "hidden"
LATENT = "latent"
OBJECTIVE = "objective"
EPOCHS = "epochs"
K = "k"
K_BOX = "k_box"                # the number box beside the k slider (the same k, typed)
K_CHOSEN = "k_chosen"          # {data key: k} the k each data source was last shown with in this session
K_SUGGESTED = "k_suggested"    # {data key: (k, reason)}: the k a new data source started at, and why
CLUSTER_METHOD = "cluster_method"
PROJECTION = "projection"
SEED = "seed"
REFINE = "refine"              # the "Refine embeddings" toggle
EMBEDDER = "embedder"          # the "Embedder" radio: a name of core.embedding.embedders.EMBEDDERS
REFINE_JOB = "refine_job"      # the key of this session's Refine job (core.session.jobs)
JOB_HOLDER = "job_holder"      # this session's name among a shared job's holders (core.session.jobs)
REFINE_CANCELLED = "refine_cancelled"  # this session cancelled Refine: say so once
ENCODER_OPEN = "encoder_open"  # the sidebar's "Encoder and seed" expander is open (its widgets drawn)

# map page
COLOUR_BY = "colour_by"
MAP_CHART = "map_chart"        # the plotly chart's selection state
SEARCH_QUERY = "search_query"  # the map's search box (its text is part of the view's link)
SELECTION = "selection"        # (sample key, row ids) the map's selection sends to the Clusters page
MAP_LABELS = "map_labels"      # the "Labels" toggle: the clusters' names drawn on the map
FIND_CLUSTER = "find_cluster"  # "Find a cluster": zooms the map to the cluster picked
MAP_ZOOM = "map_zoom"          # (cluster, request number) of the map's last zoom request
MAP_FOCUS_SEEN = "map_focus_seen"  # the number of the map's last focus event applied (a click on a name)
MAP_LEVEL = "map_level"        # "Level": the map coloured and labelled by the groups of a cut of the tree
TIME_CHART = "time_chart"      # the time chart's selection state (pages/_timeline.py)
TIME_COLUMN = "time_column"    # the date column the time chart follows
TIME_FOCUS_SEEN = "time_focus_seen"  # the time chart's last selection applied

# the sidebar's "Columns" controls (any column of the file; see pages/_colour.py)
FILTER_COLUMN = "filter_column"
FILTER_VALUES = "filter_values"  # + ":" + the column: one multiselect per column
LABEL_NAMES = "label_names"
COLUMNS_OPEN = "columns_open"  # their expander is open (its widgets drawn)

# the view's link (pages/_link.py)
LINK_READ = "link_read"        # this session has read its URL's settings (once, on its first run)
LINK_PENDING = "link_pending"  # link settings waiting for their widget: {"fraction": f, "upload": name}
LINK_NOTICES = "link_notices"  # (notices about ignored parameters, the query they were about)
LINK_OPEN = "link_open"        # the sidebar's "Link to this view" expander is open
LINK_STICKY = "link_sticky"    # the last values of page widgets, restored when their page shows again

# quality page
SWEEP_FURTHER = "sweep_further"  # the sample key whose k sweep goes on past DENSE_TOP (core.clustering.k_choice)

# clusters page
FOCUS_CLUSTER = "focus_cluster"  # the cluster the map sent the user to
FOCUS_LINK = "focus_link"  # (clustering key it was chosen on, or None: a link's; its id there): a link's focus
CLUSTERS_FIND = "clusters_find"  # "Find clusters" (many clusters: the sections are searchable and paged)
CLUSTERS_PAGE = "clusters_page"  # the page of cluster sections shown
CLUSTERS_FOCUS_SEEN = "clusters_focus_seen"  # the focus whose page was last opened
SEARCH = "search"

# the hierarchy page (pages/hierarchy.py)
TREE_LEVEL = "tree_level"      # the level whose groups are listed, each with "Merge"
TREE_DONE = "tree_done"        # what the last "Merge" did

# the door into core: this browser session's core.session.session.Session (its project and edits)
SESSION = "session"
PROJECT = "project"            # the open project's id (also the URL's ?project=)
PROJECT_SOURCE = "project_source"  # (project id, DataSource): the open project's own data, read once
PROJECT_BADGE = "project_badge"  # this run's place for the open project's name, at the top of the sidebar
SAVE_AGAIN = "save_again"        # "Try saving again" (pages/_project.py), after a save that failed
SAVE_AS_NEW = "save_as_new"      # "Save as a new project"
SAVE_RESULT = "save_result"      # (kind, message): what the last of those two buttons did

# the Projects page (pages/projects.py): + ":" + a project's id for each row's widgets
PROJECTS_DONE = "projects_done"  # the line saying what the last action did
PROJECT_OPEN = "project_open"    # a project's id: open it and go to the map (set by the Open button)
PROJECT_RENAME = "project_rename"
PROJECT_DELETE = "project_delete"
EXPORT_PREPARE = "export_prepare"  # "Prepare the project file"
EXPORT_FILE = "export_file"        # (project id, its revision, the file's bytes) last prepared
IMPORT_FILE = "import_file"        # the project file uploader
IMPORT_OPEN = "import_open"        # "Import and open"

# the Add texts page (pages/add_texts.py)
ADD_FROM = "add_from"              # new texts from a file, or typed
ADD_FILE = "add_file"
ADD_TEXT_COL = "add_text_col"
ADD_TYPED = "add_typed"
ADD_THRESHOLD = "add_threshold"    # "Fit no cluster below confidence"
ADD_RESULT = "add_result"          # (what was assigned, the table with its clusters, Assigned, rows)
ADD_MAP = "add_map"

# the Compare page (pages/compare.py)
COMPARE_A = "compare_a"          # the first version's id
COMPARE_B = "compare_b"
COMPARE_A_EDITED = "compare_a_edited"  # "as edited" (True) or "as computed"
COMPARE_B_EDITED = "compare_b_edited"
COMPARE_SEARCH = "compare_search"      # the search box over the texts that changed cluster
VERSION_NAME = "version_name"          # the name typed for the version shown now
SNAPSHOT_NAME = "snapshot_name"        # the name typed for a snapshot of the current edits

# the session's turn (core.session.session_turn.Turn), held while a run computes its view: one heavy job per
# session at a time
HEAVY_JOB = "heavy_job"

# what the sidebar resolved this run: (Source | None, RunConfig), read by every page
CURRENT = "current"

# search and outliers (map page; the confidence floor also on the clusters page)
SEARCH_N = "search_n"              # how many nearest texts a search highlights
SEARCH_WORDS = "search_words"      # "Contains words"
NEAREST_OF = "nearest_of"          # (data key, row): the point whose nearest texts are highlighted
MIN_CONFIDENCE = "min_confidence"  # "Hide texts below confidence" (0: show all)

# progress of a computing run
CANCEL = "cancel"              # the Cancel button beside the progress bar
CANCEL_WAIT = "cancel_wait"    # the Cancel button of a run waiting for the session's previous run
CANCELLED = "cancelled"        # the work key of the run the user cancelled (see pages/_progress.py)
WORK = "work"                  # the work key of the session's latest run: what Cancel stops
RESUME = "resume"              # the Resume button shown after a cancel

# cluster edits (pages/_edits.py; the edits themselves are the project's): a split being previewed,
# the line saying what the last edit did, and the edit widgets
SPLIT_PREVIEW = "split_preview"
EDIT_DONE = "edit_done"
SPLIT_CLUSTER = "edit_split_cluster"
SPLIT_PARTS = "edit_split_parts"
MERGE = "edit_merge"
RENAME_CLUSTER = "edit_rename_cluster"
RENAME_TO = "edit_rename_to"
NOTE = "edit_note"              # + ":" + version + ":" + cluster: a cluster's note box
