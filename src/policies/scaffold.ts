import { packageSegmentPattern } from './metadata.js';

/** Actions a scaffold can start with; its fixture expects that outcome. */
export const scaffoldActions = ['deny', 'warn'] as const;
export type ScaffoldAction = (typeof scaffoldActions)[number];

// Rego keywords and the roots of its documents are no package path segment.
const reserved = new Set(['as', 'contains', 'data', 'default', 'else', 'every', 'false', 'future', 'if', 'import', 'in', 'input', 'not', 'null', 'package', 'rego', 'some', 'true', 'with']);

/** The family and name of a new policy's id, or why the id cannot name one. */
export function parseNewPolicyId(id: string): { family: string; name: string } | { problem: string } {
  const parts = id.split('.');
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    return { problem: `"${id}" is not <family>.<name>: a new policy's id has two parts, e.g. labels.team (family labels, name team), which name its folder <family>/<name>/ and its package wasmgate.policies.<family>.<name>` };
  }
  for (const [what, part] of [['family', parts[0]!], ['name', parts[1]!]] as const) {
    if (!packageSegmentPattern.test(part)) return { problem: `the ${what} "${part}" of "${id}" is not a Rego identifier: lowercase letters, digits and _, starting with a letter (no -, no capitals)` };
    if (reserved.has(part)) return { problem: `the ${what} "${part}" of "${id}" is a Rego keyword: pick another word` };
  }
  return { family: parts[0]!, name: parts[1]! };
}

export interface ScaffoldOptions {
  readonly family: string;
  readonly name: string;
  readonly action: ScaffoldAction;
}

/**
 * The files of a new policy folder, relative to it: the policy with its METADATA and an example rule,
 * its Rego test (covering every line) and fixtures expecting allow and the policy's action. The
 * example rule finds a label "<name>" that is set but empty: it holds for no existing object, so the
 * policy set stays green until the rule is replaced.
 */
export function scaffoldFiles({ family, name, action }: ScaffoldOptions): Record<string, string> {
  const id = `${family}.${name}`;
  const pkg = `wasmgate.policies.${family}.${name}`;
  const message = (kindAndName: string) => `${kindAndName} has the label "${name}" with an empty value: give it a value, or remove it`;
  const policy = `# METADATA
# title: The ${name} label is not empty
# description: |
#   An object that carries the label "${name}" gives it a value.
#   Scaffolded by wasmgate new policy: an example rule to replace with yours.
# custom:
#   id: ${id}
#   action: ${action}
#   remediation: Give the label ${name} a value in metadata.labels, or remove it.
#   data: []
package ${pkg}

# The decision reads each policy's id and default action from its METADATA through this rule.
metadata := rego.metadata.chain()

_label := "${name}"

# The example rule: an object created or updated with the label set to "".
violations contains {
	"policy": "${id}",
	"message": sprintf("%s %s has the label %q with an empty value: give it a value, or remove it", [request.kind.kind, _name(request), _label]),
	"path": sprintf("metadata.labels[%q]", [_label]),
} if {
	request := input.request
	request.operation in {"CREATE", "UPDATE"}
	request.object.metadata.labels[_label] == ""
}

# "namespace/name", or "name" for a cluster-scoped object.
_name(request) := concat("/", [request.namespace, request.object.metadata.name]) if request.namespace != ""

else := request.object.metadata.name
`;
  const test = `package ${pkg}_test

import data.${pkg}

_request(kind, operation, namespace, labels) := {"request": {
	"kind": {"group": "", "version": "v1", "kind": kind},
	"operation": operation,
	"namespace": namespace,
	"object": {"metadata": {"name": "web", "labels": labels}},
}}

test_the_metadata_names_the_policy if {
	some entry in ${name}.metadata
	entry.annotations.custom.id == "${id}"
	entry.annotations.custom.action == "${action}"
}

test_an_empty_label_is_found if {
	found := ${name}.violations with input as _request("ConfigMap", "CREATE", "app-a", {"${name}": ""})
	found == {{
		"policy": "${id}",
		"message": \`${message('ConfigMap app-a/web')}\`,
		"path": \`metadata.labels["${name}"]\`,
	}}
}

test_a_cluster_scoped_object_is_named_without_a_namespace if {
	some v in ${name}.violations with input as _request("Namespace", "UPDATE", "", {"${name}": ""})
	v.message == \`${message('Namespace web')}\`
}

test_a_label_with_a_value_passes if {
	count(${name}.violations) == 0 with input as _request("ConfigMap", "CREATE", "app-a", {"${name}": "shop"})
}

test_no_label_passes if {
	count(${name}.violations) == 0 with input as _request("ConfigMap", "CREATE", "app-a", {})
}

test_a_delete_passes if {
	count(${name}.violations) == 0 with input as _request("ConfigMap", "DELETE", "app-a", {"${name}": ""})
}
`;
  const configMap = (value: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  namespace: app-a
  labels:
    ${name}: "${value}"
data:
  greeting: hello
`;
  const fixtures = `# The label ${name} with a value: nothing to find.
# expect: allow
${configMap('shop')}---
# The label ${name} set but empty.
# expect: ${action}
# expect-violation: ${id}: has the label "${name}" with an empty value
${configMap('')}`;
  return { [`${name}.rego`]: policy, [`${name}_test.rego`]: test, [`fixtures/${name}.yaml`]: fixtures };
}
