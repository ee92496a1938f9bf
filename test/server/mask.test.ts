// What of an object may reach a log line when log.objects is on.
import t from 'tap';
import { masked, maskObject } from '../../dist/observability/mask.js';

t.test('a Secret keeps its metadata, type and key names; every value is masked', async (t) => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'a', labels: { app: 'db' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}', note: 'x' } },
    type: 'kubernetes.io/basic-auth',
    data: { username: 'YWRtaW4=', password: 'c2VjcmV0' },
    stringData: { extra: 'plain secret' },
  };
  t.same(maskObject(secret), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'a', labels: { app: 'db' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': masked, note: masked } },
    type: 'kubernetes.io/basic-auth',
    data: { username: masked, password: masked },
    stringData: { extra: masked },
  });
  t.equal(secret.data.password, 'c2VjcmV0', 'the original is untouched');
  t.match(maskObject({ metadata: { name: 'db' }, data: { k: 'v' } }, 'Secret'), { data: { k: masked } }, 'the request kind says Secret');
  t.same(maskObject({ kind: 'Secret', apiVersion: 'v1', data: 'oops' }), { kind: 'Secret', apiVersion: 'v1', data: masked }, 'odd shapes too');
});

t.test('in other objects: credential-named fields, env values and last-applied are masked', async (t) => {
  const pod = {
    kind: 'Pod',
    metadata: { name: 'p', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{...}' } },
    spec: {
      containers: [
        {
          name: 'app',
          env: [
            { name: 'API_TOKEN', value: 't0ken' },
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          ],
        },
      ],
      volumes: [{ name: 's', secret: { secretName: 'db' } }],
    },
    clientSecret: 'abc',
  };
  const out = maskObject(pod) as typeof pod;
  t.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], masked);
  t.same(out.spec.containers[0]!.env, [
    { name: 'API_TOKEN', value: masked },
    { name: 'LOG_LEVEL', value: 'debug' },
    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
  ]);
  t.same(out.spec.volumes, [{ name: 's', secret: { secretName: 'db' } }], 'references to secrets are not secret');
  t.equal(out.clientSecret, masked);
});
