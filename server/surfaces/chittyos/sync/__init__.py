"""ChittyOS sync hub: projects, todos, work sessions, topics."""
