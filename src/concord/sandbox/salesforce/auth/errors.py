"""OAuth token endpoint errors: ``{"error", "error_description"}`` with HTTP 400, as the platform sends."""

from __future__ import annotations


class OAuthError(Exception):
    """A refused token request (``invalid_client_id``, ``invalid_client``, ``invalid_grant``,
    ``unsupported_grant_type``, ``invalid_request``)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body."""
        return {"error": self.error, "error_description": self.description}
