"""The SOAP partner ``login`` call, ``POST /services/Soap/u/{version}``, which simple-salesforce (and
other clients) use for username + password (+ security token) logins. It answers the ``loginResponse``
envelope with ``sessionId`` and ``serverUrl`` (the same session tokens as OAuth), or a 500 SOAP fault
``INVALID_LOGIN``."""

from __future__ import annotations

from html import escape
from xml.etree import ElementTree

from fastapi import APIRouter, Request
from fastapi.responses import Response

from concord.sandbox.salesforce.auth.oauth import instance_url_of
from concord.sandbox.salesforce.auth.sessions import open_session
from concord.sandbox.salesforce.ids import ORG_ID
from concord.sandbox.salesforce.org import SalesforceOrg

MAX_BODY = 64 * 1024
_XML = "text/xml; charset=utf-8"
_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
)


def _fault(code: str, message: str) -> Response:
    body = (
        f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        f'<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>"
    )
    return Response(_ENVELOPE.format(body=body), status_code=500, media_type=_XML)


def _credentials(payload: bytes) -> tuple[str, str] | None:
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError:
        return None
    found: dict[str, str] = {}
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("username", "password") and local not in found:
            found[local] = element.text or ""
    if "username" not in found or "password" not in found:
        return None
    return found["username"], found["password"]


def create_soap_router() -> APIRouter:
    """The SOAP login route."""
    api = APIRouter()

    @api.post("/services/Soap/u/{version}")
    async def login(request: Request, version: str) -> Response:
        org: SalesforceOrg = request.app.state.salesforce
        payload = await request.body()
        credentials = _credentials(payload) if len(payload) <= MAX_BODY else None
        if credentials is None:
            return _fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
        checked = org.directory.check_password(*credentials)
        user = org.repo.get("User", checked.user_id) if checked else None
        if checked is None or user is None or not user.get("IsActive", True):
            return _fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
        session = open_session(
            org.state.tokens, user_id=checked.user_id, username=checked.username, client_id="soap"
        )
        base = instance_url_of(request)
        result = (
            "<loginResponse><result>"
            f"<metadataServerUrl>{base}/services/Soap/m/{escape(version)}/{ORG_ID[:15]}</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
            f"<serverUrl>{base}/services/Soap/u/{escape(version)}/{ORG_ID[:15]}</serverUrl>"
            f"<sessionId>{escape(session.access_token)}</sessionId><userId>{checked.user_id}</userId>"
            f"<userInfo><organizationId>{ORG_ID}</organizationId><userEmail>{escape(str(user.get('Email')))}"
            f"</userEmail><userFullName>{escape(str(user.get('Name')))}</userFullName>"
            f"<userId>{checked.user_id}</userId><userName>{escape(checked.username)}</userName></userInfo>"
            "</result></loginResponse>"
        )
        return Response(_ENVELOPE.format(body=result), media_type=_XML)

    return api
