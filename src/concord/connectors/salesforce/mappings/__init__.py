"""Salesforce mapping files (``<sObject>.<Canonical>.yaml``), their examples, and their hooks."""
