"""Salesforce REST API emulator (``create_app``) for the Concord sandbox.

Log in with the default integration user (``DEFAULT_USERNAME`` / ``DEFAULT_PASSWORD`` /
``DEFAULT_SECURITY_TOKEN``) through a configured connected app, then call ``/services/data/vNN.0``.
"""

from __future__ import annotations

from concord.sandbox.salesforce.app import create_app
from concord.sandbox.salesforce.limits import SALESFORCE_PROFILE
from concord.sandbox.salesforce.org import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
    INTEGRATION_USER_ID,
    SalesforceOrg,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PASSWORD",
    "DEFAULT_SECURITY_TOKEN",
    "DEFAULT_USERNAME",
    "INTEGRATION_USER_ID",
    "SALESFORCE_PROFILE",
    "SalesforceOrg",
    "create_app",
]
