// The webhook configurations as deploy/ ships them, pointed at a wasmgate on loopback: only each
// webhook's clientConfig changes (the Service reference becomes a URL with the same path, plus the
// suite's CA); rules, failurePolicy, timeouts, selectors and review versions stay exactly as shipped.
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

export type Shipped = Record<string, any>;

/** What `kubectl apply -k deploy/` applies: the objects kustomize renders of deploy/ (the generated ConfigMap included). */
export function parseKustomized(kustomizeOutput: string): Shipped[] {
  return (yaml.loadAll(kustomizeOutput) as unknown[]).filter((doc): doc is Shipped => typeof doc === 'object' && doc !== null && 'kind' in doc);
}

/** The shipped webhook configurations of one kind (refused if a webhook has no Service reference to replace). */
export function shippedConfigurations(objects: readonly Shipped[], kind: WebhookKind): WebhookConfiguration[] {
  return objects
    .filter((object) => object.kind === kind)
    .map((object) => {
      const configuration = object as WebhookConfiguration;
      if (!Array.isArray(configuration.webhooks) || configuration.webhooks.length === 0) throw new Error(`deploy/: ${kind} ${configuration.metadata.name} has no webhooks`);
      for (const webhook of configuration.webhooks) {
        if (!webhook.clientConfig?.service) throw new Error(`deploy/: webhook ${webhook.name} has no clientConfig.service to point at the suite's wasmgate`);
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
