"""The one door into core for the app and the CLI: a session over a project, the view a page reads, links, one turn per browser session, background work and jobs."""
