"""NetSuite mapping files (``<record type>.<Canonical>.yaml``) and their examples."""
