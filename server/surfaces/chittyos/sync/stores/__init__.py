"""The sync hub's stores."""
