package main

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
	"k8s.io/kubernetes/pkg/capabilities"
	"k8s.io/kubernetes/plugin/pkg/admission/security/podsecuritypolicy"
)

// caseInput is one line of the protocol's input.
type caseInput struct {
	ID        string            `json:"id"`
	Policies  []json.RawMessage `json:"policies"`
	RBAC      []json.RawMessage `json:"rbac"`
	UserInfo  userInfo          `json:"userInfo"`
	Namespace string            `json:"namespace"`
	Operation string            `json:"operation"`
	Pod       json.RawMessage   `json:"pod"`
	OldPod    json.RawMessage   `json:"oldPod,omitempty"`
}

type userInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// answer is one line of the protocol's output. Input/OldInput are the pods as the API server hands
// them to admission (decoded from v1 with the v1 defaults applied, e.g. hostPort from containerPort
// under hostNetwork), which is what a webhook is sent: the other side of the comparison evaluates those.
type answer struct {
	ID       string          `json:"id"`
	Allowed  bool            `json:"allowed"`
	PSP      *string         `json:"psp"`
	Pod      json.RawMessage `json:"pod,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	OldInput json.RawMessage `json:"oldInput,omitempty"`
	Message  string          `json:"message,omitempty"`
	// Invalid: the API server itself would refuse an object of the case (a PSP, an RBAC object or the
	// pod fails its validation), so the plugin was not run; such PSPs and RBAC objects are what
	// wasmgate's config_errors must refuse.
	Invalid string `json:"invalid,omitempty"`
	// Error: the line could not be handled at all.
	Error string `json:"error,omitempty"`
}

const (
	auditPrefix   = "podsecuritypolicy.policy.k8s.io/"
	pspAnnotation = "kubernetes.io/psp"
)

// oracle holds one instance of the real plugin, initialised as kube-apiserver initialises it; each
// case swaps the PSPs in its lister and the RBAC objects behind its authorizer.
type oracle struct {
	plugin  admission.Interface
	indexer cache.Indexer
	authz   *swappableAuthorizer
}

var theOracle = mustNewOracle()

func mustNewOracle() *oracle {
	// allowedProcMountTypes only exists with this gate on (the PSP registry drops the field otherwise);
	// a team that wrote it ran with it, so the oracle does too. Every other gate keeps its v1.24 default.
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{"ProcMountType": true}); err != nil {
		panic(err)
	}
	// As kube-apiserver --allow-privileged=true, which every cluster running privileged PSPs had.
	capabilities.Setup(true, 0)
	// The informer is never started: its store is filled directly per case, so no client is needed.
	factory := informers.NewSharedInformerFactory(nil, 0)
	indexer := factory.Policy().V1beta1().PodSecurityPolicies().Informer().GetIndexer()
	authz := &swappableAuthorizer{}
	plugins := admission.NewPlugins()
	podsecuritypolicy.Register(plugins)
	plugin, err := plugins.InitPlugin(podsecuritypolicy.PluginName, nil, initializer{authz: authz, factory: factory})
	if err != nil {
		panic(err)
	}
	return &oracle{plugin: plugin, indexer: indexer, authz: authz}
}

type initializer struct {
	authz   authorizer.Authorizer
	factory informers.SharedInformerFactory
}

func (i initializer) Initialize(plugin admission.Interface) {
	plugin.(*podsecuritypolicy.Plugin).SetAuthorizer(i.authz)
	plugin.(*podsecuritypolicy.Plugin).SetExternalKubeInformerFactory(i.factory)
}

type swappableAuthorizer struct{ current authorizer.Authorizer }

func (s *swappableAuthorizer) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	return s.current.Authorize(ctx, a)
}

// recordingAttributes keeps the audit annotations the plugin adds: on UPDATE the name of the PSP that
// validated the pod is only reported there.
type recordingAttributes struct {
	admission.Attributes
	audit map[string]string
}

func (r *recordingAttributes) AddAnnotation(key, value string) error {
	r.audit[key] = value
	return r.Attributes.AddAnnotation(key, value)
}

func run(c caseInput) (answer, error) {
	o := theOracle
	op := admission.Operation(c.Operation)
	if op != admission.Create && op != admission.Update {
		return answer{}, fmt.Errorf("operation %q: must be CREATE or UPDATE", c.Operation)
	}
	if c.Namespace == "" {
		return answer{}, fmt.Errorf("namespace: must be set (pods are namespaced)")
	}

	policies, invalid, err := decodePolicies(c.Policies)
	if err != nil || invalid != "" {
		return answer{ID: c.ID, Invalid: invalid}, err
	}
	authz, invalid, err := decodeRBAC(c.RBAC)
	if err != nil || invalid != "" {
		return answer{ID: c.ID, Invalid: invalid}, err
	}
	pod, err := decodePod(c.Pod, c.Namespace, "pod")
	if err != nil {
		return answer{}, err
	}
	var oldPod *api.Pod
	if op == admission.Update {
		if len(c.OldPod) == 0 {
			return answer{}, fmt.Errorf("oldPod: must be set on UPDATE")
		}
		if oldPod, err = decodePod(c.OldPod, c.Namespace, "oldPod"); err != nil {
			return answer{}, err
		}
	}

	a := answer{ID: c.ID}
	if a.Input, err = encodePod(pod); err != nil {
		return answer{}, err
	}
	if oldPod != nil {
		if a.OldInput, err = encodePod(oldPod); err != nil {
			return answer{}, err
		}
	}
	if msg := validatePod(pod, oldPod); msg != "" {
		a.Invalid = msg
		return a, nil
	}

	objects := make([]interface{}, len(policies))
	for i, p := range policies {
		objects[i] = p
	}
	if err := o.indexer.Replace(objects, ""); err != nil {
		return answer{}, err
	}
	o.authz.current = authz

	info := &user.DefaultInfo{Name: c.UserInfo.Username, UID: c.UserInfo.UID, Groups: c.UserInfo.Groups, Extra: c.UserInfo.Extra}
	var old runtime.Object
	if oldPod != nil {
		old = oldPod
	}
	var options runtime.Object = &metav1.CreateOptions{}
	if op == admission.Update {
		options = &metav1.UpdateOptions{}
	}
	attrs := &recordingAttributes{
		Attributes: admission.NewAttributesRecord(pod, old, api.Kind("Pod").WithVersion("version"), c.Namespace, pod.Name,
			api.Resource("pods").WithVersion("version"), "", op, options, false, info),
		audit: map[string]string{},
	}
	ctx := context.Background()
	// The API server's order: mutating admission (Admit), then validating admission (Validate).
	decision := o.plugin.(admission.MutationInterface).Admit(ctx, attrs, nil)
	if decision == nil {
		decision = o.plugin.(admission.ValidationInterface).Validate(ctx, attrs, nil)
	}
	if a.Pod, err = encodePod(pod); err != nil {
		return answer{}, err
	}
	if decision != nil {
		a.Message = decision.Error()
		return a, nil
	}
	a.Allowed = true
	// CREATE: the annotation Admit set; UPDATE: the PSP Validate found (an update touching only
	// ownerReferences/finalizers is not checked at all, so it names none).
	if name, ok := pod.Annotations[pspAnnotation]; ok && op == admission.Create {
		a.PSP = &name
	} else if name, ok := attrs.audit[auditPrefix+"validate-policy"]; ok && op == admission.Update {
		a.PSP = &name
	}
	return a, nil
}
