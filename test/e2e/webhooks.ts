// The webhook configurations as deploy/ ships them, pointed at a wasmgate on loopback: only each
// webhook's clientConfig changes (the Service reference becomes a URL with the same path, plus the
// suite's CA); rules, failurePolicy, timeouts, selectors and review versions stay exactly as shipped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot } from '../helpers/policies.js';

export const deployDir = join(repoRoot, 'deploy');

export type WebhookKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

export interface Webhook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string; port?: number }; url?: string; caBundle?: string };
  admissionReviewVersions: string[];
  [field: string]: unknown;
}

export interface WebhookConfiguration {
  apiVersion: string;
  kind: WebhookKind;
  metadata: { name: string; [field: string]: unknown };
  webhooks: Webhook[];
}

export interface Manifest {
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;
}

/** Every object in deploy/*.yaml, with the file it came from. */
export function deployManifests(): Manifest[] {
  return readdirSync(deployDir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort()
    .flatMap((file) =>
      yaml
        .loadAll(readFileSync(join(deployDir, file), 'utf8'))
        .filter((doc): doc is Manifest['object'] => typeof doc === 'object' && doc !== null && 'kind' in doc)
        .map((object) => ({ file, object })),
    );
}

/** The shipped webhook configurations of one kind (parsed, and refused if a webhook has no Service reference). */
export function shippedConfigurations(kind: WebhookKind): WebhookConfiguration[] {
  return deployManifests()
    .filter((m) => m.object.kind === kind)
    .map(({ file, object }) => {
      const configuration = object as unknown as WebhookConfiguration;
      if (!Array.isArray(configuration.webhooks) || configuration.webhooks.length === 0) throw new Error(`deploy/${file}: ${kind} ${object.metadata.name} has no webhooks`);
      for (const webhook of configuration.webhooks) {
        if (!webhook.clientConfig?.service) throw new Error(`deploy/${file}: webhook ${webhook.name} has no clientConfig.service to point at the suite's wasmgate`);
      }
      return configuration;
    });
}

/** The configuration with every clientConfig turned into https://127.0.0.1:port<path of its Service reference> and the CA. */
export function pointedAt(configuration: WebhookConfiguration, port: number, caPem: string): WebhookConfiguration {
  const copy = structuredClone(configuration);
  for (const webhook of copy.webhooks) {
    const path = webhook.clientConfig.service?.path ?? '/';
    webhook.clientConfig = { url: `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return copy;
}
