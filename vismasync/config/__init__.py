"""Integration configuration: the schema, the YAML loader, secret references, file discovery."""
