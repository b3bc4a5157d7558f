"""The MCP layer's machinery: a tool is defined once (`definition`), turned into an MCP tool with a flat,
checked signature (`calls`), runs its blocking work cancellably with progress (`work`) and reports
failures in one masked line (`messages`)."""
