// What the pages tell the user about a failure, by the problem's `code`.
import { AuthdError } from "@authd/client";

export function message(error: unknown): string {
  if (error instanceof AuthdError) {
    const fields = error.problem?.errors ? Object.values(error.problem.errors).flat().join("; ") : "";
    return `${error.problem?.detail ?? error.message}${fields ? ` (${fields})` : ""}`;
  }
  if (error instanceof DOMException && error.name === "NotAllowedError") {
    return "The passkey prompt was closed or timed out.";
  }
  if (error instanceof DOMException && error.name === "InvalidStateError") {
    return "This authenticator already holds a passkey for this account.";
  }
  if (error instanceof TypeError) return "authd could not be reached. Check your connection and try again.";
  return String(error);
}

const EXPLAINED: Record<string, string> = {
  invalid_code: "That code is not right, or no longer valid (5 wrong tries end it). Check the newest mail, or ask for a new one.",
  invalid_token: "This link was used already, has expired or a newer mail replaced it. Ask for a new one.",
  token_expired: "This link has expired. Ask for a new one.",
  token_used: "This link was used already.",
  account_locked: "Too many wrong tries: sign-in for this address is locked for a while. Try again later.",
  rate_limited: "Too many attempts from here. Wait a moment and try again.",
  account_disabled: "This account is disabled.",
  invalid_mfa_code: "That code is not right.",
  invalid_credentials: "The email or password is not right.",
  reauthentication_required: "This needs a recent sign-in (within the last few minutes). Sign out, sign in again, then retry.",
  mfa_required: "This needs your second factor: sign out and sign in again with it, then retry.",
  email_not_verified: "The provider has not verified that email address.",
  account_exists: "An account with this email exists already. Sign in to it, then link the provider under Sign-in methods.",
  oauth_failed: "The provider sign-in did not complete. Try again.",
  conflict: "That is not possible right now (it would leave the account without a way in, or it belongs to another account).",
  service_unavailable: "authd is busy or a provider is unreachable. Try again in a moment.",
};

export function explain(error: unknown): string {
  return (error instanceof AuthdError && error.code && EXPLAINED[error.code]) || message(error);
}
