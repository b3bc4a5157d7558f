"""Tool groups ("toolsets"); each module has `register(server, *, read_only: bool)`."""
