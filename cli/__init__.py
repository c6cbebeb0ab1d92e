"""The `voronka` command: the process host and the administrator's tools."""
