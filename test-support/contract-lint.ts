/**
 * Lints the machine-readable documents as their users' tools would: Spectral with the `spectral:oas`
 * ruleset for OpenAPI, @asyncapi/parser for AsyncAPI. Returns every finding (errors, warnings,
 * hints) as one line each, so a test can expect none.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function spectralOasFindings(document: unknown): Promise<string[]> {
  const { Spectral, Document } = require('@stoplight/spectral-core') as typeof import('@stoplight/spectral-core');
  const { Json } = require('@stoplight/spectral-parsers') as typeof import('@stoplight/spectral-parsers');
  const { oas } = require('@stoplight/spectral-rulesets') as typeof import('@stoplight/spectral-rulesets');
  const spectral = new Spectral();
  spectral.setRuleset(oas);
  const results = await spectral.run(new Document(JSON.stringify(document), Json));
  return results.map((r) => `${r.code} (severity ${r.severity}) at ${r.path.join('.')}: ${r.message}`);
}

export async function asyncApiFindings(document: unknown): Promise<{ findings: string[]; parsed: boolean }> {
  const { Parser } = require('@asyncapi/parser') as typeof import('@asyncapi/parser');
  const { diagnostics, document: parsed } = await new Parser().parse(JSON.stringify(document));
  return {
    findings: diagnostics.map((d) => `${d.code} (severity ${d.severity}) at ${d.path.join('.')}: ${d.message}`),
    parsed: parsed !== undefined,
  };
}
