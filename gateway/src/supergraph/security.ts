/**
 * The security features Tessera enforces itself (`features/authorization/`). Apollo Gateway
 * refuses a supergraph that links a `for: SECURITY` feature it does not enforce — rightly, as
 * serving it would drop the rules — and it enforces none. Handing it these two links without
 * their purpose is safe only because the authorization plugin applies them; any other
 * security feature (`@policy`, say) keeps its purpose and is still refused.
 */
const ENFORCED = ['https://specs.apollo.dev/authenticated/v0.1', 'https://specs.apollo.dev/requiresScopes/v0.1'];

/** The supergraph SDL with the enforced security features' `for: SECURITY` taken off their links. */
export function markSecurityEnforced(supergraphSdl: string): string {
  let sdl = supergraphSdl;
  for (const url of ENFORCED) sdl = sdl.replace(new RegExp(`(@link\\(url: "${url.replace(/[.]/g, '\\.')}"), for: SECURITY\\)`, 'g'), '$1)');
  return sdl;
}
