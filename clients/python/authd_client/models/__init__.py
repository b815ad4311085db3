"""Contains all the data models used in inputs/outputs"""

from .accepted import Accepted
from .audit_event import AuditEvent
from .audit_event_data import AuditEventData
from .audit_page import AuditPage
from .browser_token_pair import BrowserTokenPair
from .change_email_request import ChangeEmailRequest
from .change_password_request import ChangePasswordRequest
from .delete_me_request import DeleteMeRequest
from .email_login_start_request import EmailLoginStartRequest
from .email_login_verify_request import EmailLoginVerifyRequest
from .email_request import EmailRequest
from .email_status import EmailStatus
from .health import Health
from .identity import Identity
from .identity_list import IdentityList
from .index import Index
from .jwks_response_200 import JwksResponse200
from .listed_user import ListedUser
from .login_request import LoginRequest
from .mfa_challenge import MfaChallenge
from .mfa_code_request import MfaCodeRequest
from .mfa_factor import MfaFactor
from .mfa_factor_list import MfaFactorList
from .mfa_factor_ref import MfaFactorRef
from .mfa_verify_request import MfaVerifyRequest
from .o_auth_callback_request import OAuthCallbackRequest
from .o_auth_id_token_request import OAuthIdTokenRequest
from .o_auth_provider import OAuthProvider
from .o_auth_provider_list import OAuthProviderList
from .o_auth_start_request import OAuthStartRequest
from .o_auth_start_response import OAuthStartResponse
from .openapi_json_response_200 import OpenapiJsonResponse200
from .passkey_ceremony import PasskeyCeremony
from .passkey_ceremony_options import PasskeyCeremonyOptions
from .passkey_finish_request import PasskeyFinishRequest
from .passkey_finish_request_credential import PasskeyFinishRequestCredential
from .passkey_mfa_start_request import PasskeyMfaStartRequest
from .passkey_register_request import PasskeyRegisterRequest
from .passkey_register_request_credential import PasskeyRegisterRequestCredential
from .passkey_registered import PasskeyRegistered
from .pending_email import PendingEmail
from .problem import Problem
from .problem_errors_type_0 import ProblemErrorsType0
from .readiness import Readiness
from .readiness_backends import ReadinessBackends
from .readiness_checks import ReadinessChecks
from .recovery_codes import RecoveryCodes
from .refresh_request import RefreshRequest
from .register_request import RegisterRequest
from .rename_factor_request import RenameFactorRequest
from .reset_confirm_request import ResetConfirmRequest
from .revocations_page import RevocationsPage
from .revoked_session_entry import RevokedSessionEntry
from .role import Role
from .role_list import RoleList
from .security_events import SecurityEvents
from .session import Session
from .session_list import SessionList
from .set_roles_request import SetRolesRequest
from .ssf_configuration_response_200 import SsfConfigurationResponse200
from .token_pair import TokenPair
from .token_request import TokenRequest
from .totp_enrolment import TotpEnrolment
from .update_me_request import UpdateMeRequest
from .user import User
from .user_page import UserPage
from .valid_after_entry import ValidAfterEntry

__all__ = (
    "Accepted",
    "AuditEvent",
    "AuditEventData",
    "AuditPage",
    "BrowserTokenPair",
    "ChangeEmailRequest",
    "ChangePasswordRequest",
    "DeleteMeRequest",
    "EmailLoginStartRequest",
    "EmailLoginVerifyRequest",
    "EmailRequest",
    "EmailStatus",
    "Health",
    "Identity",
    "IdentityList",
    "Index",
    "JwksResponse200",
    "ListedUser",
    "LoginRequest",
    "MfaChallenge",
    "MfaCodeRequest",
    "MfaFactor",
    "MfaFactorList",
    "MfaFactorRef",
    "MfaVerifyRequest",
    "OAuthCallbackRequest",
    "OAuthIdTokenRequest",
    "OAuthProvider",
    "OAuthProviderList",
    "OAuthStartRequest",
    "OAuthStartResponse",
    "OpenapiJsonResponse200",
    "PasskeyCeremony",
    "PasskeyCeremonyOptions",
    "PasskeyFinishRequest",
    "PasskeyFinishRequestCredential",
    "PasskeyMfaStartRequest",
    "PasskeyRegisterRequest",
    "PasskeyRegisterRequestCredential",
    "PasskeyRegistered",
    "PendingEmail",
    "Problem",
    "ProblemErrorsType0",
    "Readiness",
    "ReadinessBackends",
    "ReadinessChecks",
    "RecoveryCodes",
    "RefreshRequest",
    "RegisterRequest",
    "RenameFactorRequest",
    "ResetConfirmRequest",
    "RevocationsPage",
    "RevokedSessionEntry",
    "Role",
    "RoleList",
    "SecurityEvents",
    "Session",
    "SessionList",
    "SetRolesRequest",
    "SsfConfigurationResponse200",
    "TokenPair",
    "TokenRequest",
    "TotpEnrolment",
    "UpdateMeRequest",
    "User",
    "UserPage",
    "ValidAfterEntry",
)
