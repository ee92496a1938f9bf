# METADATA
# title: Admission request accessors
# description: |
#   Safe accessors for the AdmissionReview request: every rule is defined for
#   any input (missing or mistyped fields fall back to empty values), so the
#   policies never become undefined or fail on odd requests.
package wasmgate.lib.request

import data.wasmgate.lib.config

# The AdmissionRequest, or {} when the input has none.
default req := {}

req := input.request if is_object(input.request)

# The object under review: the new object, or the old one on DELETE.
default obj := {}

obj := req.object if is_object(req.object)

else := req.oldObject if is_object(req.oldObject)

default operation := ""

operation := req.operation if is_string(req.operation)

default sub_resource := ""

sub_resource := req.subResource if is_string(req.subResource)

# kind and group: from request.kind, else derived from the object itself.
kind := k if {
	k := req.kind.kind
	is_string(k)
} else := k if {
	k := obj.kind
	is_string(k)
} else := ""

group := g if {
	is_string(req.kind.kind)
	g := object.get(req.kind, "group", "")
	is_string(g)
} else := g if {
	parts := split(obj.apiVersion, "/")
	count(parts) == 2
	g := parts[0]
} else := ""

# The request namespace ("" for cluster-scoped objects).
namespace := ns if {
	ns := req.namespace
	is_string(ns)
} else := ns if {
	ns := obj.metadata.namespace
	is_string(ns)
} else := ""

# The object's name; generateName plus "*" before the API server names it.
name := n if {
	n := req.name
	is_string(n)
	n != ""
} else := n if {
	n := obj.metadata.name
	is_string(n)
	n != ""
} else := n if {
	g := obj.metadata.generateName
	is_string(g)
	g != ""
	n := concat("", [g, "*"])
} else := "<unnamed>"

default username := ""

username := req.userInfo.username if is_string(req.userInfo.username)

user_groups contains g if {
	some g in req.userInfo.groups
	is_string(g)
}

# Admins: configured users and groups, plus the service-account groups of
# the system namespaces (when config.admins.systemNamespaceServiceAccounts).
is_admin if config.admin_users[username]

is_admin if {
	some g in user_groups
	config.admin_groups[g]
}

in_system_namespace if config.system_namespaces[namespace]

# Kinds that are cluster-scoped: their label has no namespace.
cluster_scoped_kinds := {
	"Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass",
	"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
	"GlobalNetworkPolicy", "GlobalNetworkSet", "HostEndpoint", "Tier",
}

# "Kind namespace/name", or "Kind name" for cluster-scoped objects (all three are strings: concat,
# which stays inside WASM, rather than sprintf, a call out into the host).
label := concat("", [kind, " ", name]) if {
	_cluster_scoped
} else := concat("", [kind, " ", namespace, "/", name])

_cluster_scoped if cluster_scoped_kinds[kind]

_cluster_scoped if namespace == ""
