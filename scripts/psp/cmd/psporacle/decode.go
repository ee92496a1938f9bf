package main

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/union"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	psputil "k8s.io/kubernetes/pkg/api/podsecuritypolicy"
	api "k8s.io/kubernetes/pkg/apis/core"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/policy"
	policyvalidation "k8s.io/kubernetes/pkg/apis/policy/validation"
	"k8s.io/kubernetes/pkg/apis/rbac"
	rbacvalidation "k8s.io/kubernetes/pkg/apis/rbac/validation"
	rbacregistryvalidation "k8s.io/kubernetes/pkg/registry/rbac/validation"
	rbacauthorizer "k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"
)

// Objects are decoded as the API server stores them: from their published version, with that
// version's defaults applied (e.g. a PSP without allowPrivilegeEscalation gets true), and checked by
// the API server's own validation.

func decodePolicies(raw []json.RawMessage) ([]*policyv1beta1.PodSecurityPolicy, string, error) {
	var out []*policyv1beta1.PodSecurityPolicy
	for i, r := range raw {
		p := &policyv1beta1.PodSecurityPolicy{}
		if err := json.Unmarshal(r, p); err != nil {
			return nil, "", fmt.Errorf("policies[%d]: %v", i, err)
		}
		if p.Kind != "PodSecurityPolicy" || p.APIVersion != "policy/v1beta1" {
			return nil, "", fmt.Errorf("policies[%d]: apiVersion/kind %s/%s: must be policy/v1beta1 PodSecurityPolicy", i, p.APIVersion, p.Kind)
		}
		legacyscheme.Scheme.Default(p)
		internal := &policy.PodSecurityPolicy{}
		if err := legacyscheme.Scheme.Convert(p, internal, nil); err != nil {
			return nil, "", fmt.Errorf("policies[%d]: %v", i, err)
		}
		// What the PSP registry does before storing it (drops fields of disabled feature gates).
		psputil.DropDisabledFields(&internal.Spec, nil)
		if errs := policyvalidation.ValidatePodSecurityPolicy(internal); len(errs) > 0 {
			return nil, fmt.Sprintf("PodSecurityPolicy %q: %v", p.Name, errs.ToAggregate()), nil
		}
		stored := &policyv1beta1.PodSecurityPolicy{}
		if err := legacyscheme.Scheme.Convert(internal, stored, nil); err != nil {
			return nil, "", fmt.Errorf("policies[%d]: %v", i, err)
		}
		out = append(out, stored)
	}
	return out, "", nil
}

func decodeRBAC(raw []json.RawMessage) (authorizer.Authorizer, string, error) {
	var (
		roles               []*rbacv1.Role
		roleBindings        []*rbacv1.RoleBinding
		clusterRoles        []*rbacv1.ClusterRole
		clusterRoleBindings []*rbacv1.ClusterRoleBinding
	)
	for i, r := range raw {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(r, &meta); err != nil {
			return nil, "", fmt.Errorf("rbac[%d]: %v", i, err)
		}
		if meta.APIVersion != "rbac.authorization.k8s.io/v1" {
			return nil, "", fmt.Errorf("rbac[%d]: apiVersion %q: must be rbac.authorization.k8s.io/v1", i, meta.APIVersion)
		}
		var (
			external runtime.Object
			internal runtime.Object
			validate func() field.ErrorList
			keep     func()
		)
		switch meta.Kind {
		case "Role":
			e, in := &rbacv1.Role{}, &rbac.Role{}
			external, internal, validate = e, in, func() field.ErrorList { return rbacvalidation.ValidateRole(in) }
			keep = func() { roles = append(roles, e) }
		case "ClusterRole":
			e, in := &rbacv1.ClusterRole{}, &rbac.ClusterRole{}
			external, internal, validate = e, in, func() field.ErrorList { return rbacvalidation.ValidateClusterRole(in) }
			keep = func() { clusterRoles = append(clusterRoles, e) }
		case "RoleBinding":
			e, in := &rbacv1.RoleBinding{}, &rbac.RoleBinding{}
			external, internal, validate = e, in, func() field.ErrorList { return rbacvalidation.ValidateRoleBinding(in) }
			keep = func() { roleBindings = append(roleBindings, e) }
		case "ClusterRoleBinding":
			e, in := &rbacv1.ClusterRoleBinding{}, &rbac.ClusterRoleBinding{}
			external, internal, validate = e, in, func() field.ErrorList { return rbacvalidation.ValidateClusterRoleBinding(in) }
			keep = func() { clusterRoleBindings = append(clusterRoleBindings, e) }
		default:
			return nil, "", fmt.Errorf("rbac[%d]: kind %q: must be Role, ClusterRole, RoleBinding or ClusterRoleBinding", i, meta.Kind)
		}
		if err := json.Unmarshal(r, external); err != nil {
			return nil, "", fmt.Errorf("rbac[%d]: %v", i, err)
		}
		legacyscheme.Scheme.Default(external)
		if err := legacyscheme.Scheme.Convert(external, internal, nil); err != nil {
			return nil, "", fmt.Errorf("rbac[%d]: %v", i, err)
		}
		if errs := validate(); len(errs) > 0 {
			return nil, fmt.Sprintf("%s rbac[%d]: %v", meta.Kind, i, errs.ToAggregate()), nil
		}
		keep()
	}
	_, static := rbacregistryvalidation.NewTestRuleResolver(roles, roleBindings, clusterRoles, clusterRoleBindings)
	// As kube-apiserver chains them: members of system:masters may do anything, whatever RBAC says.
	return union.New(authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup), rbacauthorizer.New(static, static, static, static)), "", nil
}

// decodePod reads a v1 Pod the way the API server's decoder does (v1 defaults, then conversion to the
// internal type admission plugins see) and puts it in the request's namespace.
func decodePod(raw json.RawMessage, namespace, what string) (*api.Pod, error) {
	external := &corev1.Pod{}
	if err := json.Unmarshal(raw, external); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	if external.Kind != "Pod" || external.APIVersion != "v1" {
		return nil, fmt.Errorf("%s: apiVersion/kind %s/%s: must be v1 Pod", what, external.APIVersion, external.Kind)
	}
	if external.Namespace != "" && external.Namespace != namespace {
		return nil, fmt.Errorf("%s: metadata.namespace %q: does not match the request's namespace %q", what, external.Namespace, namespace)
	}
	external.Namespace = namespace
	legacyscheme.Scheme.Default(external)
	pod := &api.Pod{}
	if err := legacyscheme.Scheme.Convert(external, pod, nil); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return pod, nil
}

func encodePod(pod *api.Pod) (json.RawMessage, error) {
	external := &corev1.Pod{}
	if err := legacyscheme.Scheme.Convert(pod, external, nil); err != nil {
		return nil, err
	}
	external.APIVersion, external.Kind = "v1", "Pod"
	return json.Marshal(external)
}

// validatePod is the API server's own pod validation (create, or update against the old pod), less
// one rule: ephemeral containers are compared on CREATE too, for what the plugin does with them (the
// API server would refuse them there after admission; they come through a subresource PSP ignores).
func validatePod(pod, oldPod *api.Pod) string {
	var errs field.ErrorList
	if oldPod == nil {
		errs = corevalidation.ValidatePodCreate(pod, podutil.GetValidationOptionsFromPodSpecAndMeta(&pod.Spec, nil, &pod.ObjectMeta, nil))
	} else {
		opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&pod.Spec, &oldPod.Spec, &pod.ObjectMeta, &oldPod.ObjectMeta)
		errs = append(corevalidation.ValidatePodCreate(oldPod, opts), corevalidation.ValidatePodUpdate(pod, oldPod, opts)...)
	}
	var messages []string
	for _, e := range errs {
		if e.Type == field.ErrorTypeForbidden && e.Field == "spec.ephemeralContainers" {
			continue
		}
		messages = append(messages, e.Error())
	}
	if len(messages) == 0 {
		return ""
	}
	return "Pod: " + strings.Join(messages, "; ")
}
