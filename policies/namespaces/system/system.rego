# METADATA
# title: System namespaces
# description: |
#   Only admins may create, update or delete objects in the system namespaces,
#   or update or delete the system Namespace objects themselves.
# custom:
#   id: system-namespaces
#   action: deny
#   remediation: Ask a cluster admin (config.admins) to make the change, or use a namespace that is not a system namespace.
#   data:
#     - config.systemNamespaces
#     - config.admins
package wasmgate.policies.namespaces.system

import data.wasmgate.lib.config
import data.wasmgate.lib.messages
import data.wasmgate.lib.request

metadata := rego.metadata.chain()

_verbs := {"CREATE": "create", "UPDATE": "update", "DELETE": "delete"}

violations contains messages.violation_no_path("system-namespaces", msg) if {
	not _namespace_object
	request.in_system_namespace
	verb := _verbs[request.operation]
	not request.is_admin
	msg := sprintf(
		"user %q may not %s objects in the system namespace %q (system namespaces: %s); only cluster admins may change them",
		[request.username, verb, request.namespace, messages.list(sort(config.system_namespaces))],
	)
}

violations contains messages.violation_no_path("system-namespaces", msg) if {
	_namespace_object
	request.name in config.system_namespaces
	verb := _verbs[request.operation]
	verb != "create"
	not request.is_admin
	msg := sprintf(
		"user %q may not %s the system namespace %q; only cluster admins may change it",
		[request.username, verb, request.name],
	)
}

_namespace_object if {
	request.kind == "Namespace"
	request.group == ""
}
