"""Concord: the governed sync and orchestration layer between a firm's CRM, PSA and ERP."""
