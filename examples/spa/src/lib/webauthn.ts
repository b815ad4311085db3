// WebAuthn in the browser against authd, which speaks JSON with base64url
// binary fields.
import type { Tokens } from "@authd/client";

import { authed, client, unwrap } from "./api.ts";

function fromB64url(text: string): ArrayBuffer {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buffer: ArrayBuffer): string {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = { [key: string]: unknown };

/** The options' `publicKey` (authd may wrap them), without `null` members. */
function publicKeyOf(options: unknown): Json {
  const inner = (options as Json).publicKey ?? options;
  return JSON.parse(JSON.stringify(inner, (_key, value) => (value === null ? undefined : value))) as Json;
}

function withIds(list: unknown): PublicKeyCredentialDescriptor[] {
  return ((list as Json[] | undefined) ?? []).map((c) => ({ ...c, id: fromB64url(c.id as string) }) as PublicKeyCredentialDescriptor);
}

function creationOptions(options: unknown): PublicKeyCredentialCreationOptions {
  const o = publicKeyOf(options);
  const user = o.user as Json;
  return {
    ...o,
    challenge: fromB64url(o.challenge as string),
    user: { ...user, id: fromB64url(user.id as string) },
    excludeCredentials: withIds(o.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

function requestOptions(options: unknown): PublicKeyCredentialRequestOptions {
  const o = publicKeyOf(options);
  return { ...o, challenge: fromB64url(o.challenge as string), allowCredentials: withIds(o.allowCredentials) } as PublicKeyCredentialRequestOptions;
}

/** A `PublicKeyCredential` as authd reads it (browsers' `toJSON()` shape). */
function credentialJson(credential: PublicKeyCredential): Record<string, never> {
  const r = credential.response;
  const response: Json = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r instanceof AuthenticatorAttestationResponse) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports();
  } else {
    const assertion = r as AuthenticatorAssertionResponse;
    response.authenticatorData = toB64url(assertion.authenticatorData);
    response.signature = toB64url(assertion.signature);
    response.userHandle = assertion.userHandle ? toB64url(assertion.userHandle) : null;
  }
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response,
    extensions: credential.getClientExtensionResults(),
  } as unknown as Record<string, never>;
}

/** A passwordless sign-in (`mediation: "conditional"` for the autofill). */
export async function passkeySignIn(mediation?: CredentialMediationRequirement, signal?: AbortSignal): Promise<void> {
  const ceremony = unwrap(await client.api.POST("/v1/auth/passkey/start", {}));
  const credential = (await navigator.credentials.get({
    publicKey: requestOptions(ceremony.options),
    ...(mediation ? { mediation } : {}),
    ...(signal ? { signal } : {}),
  })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException("no passkey chosen", "NotAllowedError");
  const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential) };
  client.setTokens(unwrap(await client.api.POST("/v1/auth/passkey/finish", { body })) as Tokens);
}

/** The second step of a sign-in with a passkey. */
export async function passkeySecondStep(mfaToken: string): Promise<void> {
  const ceremony = unwrap(await client.api.POST("/v1/auth/mfa/passkey/start", { body: { mfa_token: mfaToken } }));
  const credential = (await navigator.credentials.get({ publicKey: requestOptions(ceremony.options) })) as PublicKeyCredential;
  const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential) };
  client.setTokens(unwrap(await client.api.POST("/v1/auth/mfa/passkey/finish", { body })) as Tokens);
}

/** Registers a passkey on this device; the first factor answers recovery codes. */
export async function addPasskey(name: string): Promise<string[]> {
  const ceremony = await authed((headers) => client.api.POST("/v1/me/passkeys/register/start", { headers }));
  const credential = (await navigator.credentials.create({ publicKey: creationOptions(ceremony.options) })) as PublicKeyCredential;
  const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential), name };
  const added = await authed((headers) => client.api.POST("/v1/me/passkeys/register/finish", { headers, body }));
  return added.recovery_codes ?? [];
}
