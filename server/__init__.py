"""MCP server (stdio) exposing the generator as tools; a thin layer over `generator`."""
