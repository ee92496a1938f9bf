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

// One rule set for every place a name can make a value secret: a key, an env var, a flag.
const credentialNames = [
  'password', 'DB_PASSWORD', 'db-password', 'dbPassword', 'passwd', 'passphrase', 'REDIS_PASS', 'PGPASS', 'MYSQL_PWD',
  'secret', 'clientSecret', 'AWS_SECRET_ACCESS_KEY', 'token', 'API_TOKEN', 'GITHUB_TOKEN', 'x.auth.token',
  'SSH_KEY', 'TLS_KEY', 'SIGNING_KEY', 'PRIVATE_KEY', 'privateKey', 'apiKey', 'api-key', 'APIKEY',
  'credentials', 'GOOGLE_APPLICATION_CREDENTIALS', 'BASIC_AUTH', 'Authorization', 'cookie', 'SENTRY_DSN',
  'DATABASE_URL', 'DB_URI', 'DB_CONNECTION_STRING',
];
const ordinaryNames = ['LOG_LEVEL', 'MODE', 'PORT', 'HOSTNAME', 'name', 'key', 'secretName', 'KEY_ID', 'TOKEN_TTL', 'tokenPath', 'PASSWORD_MIN_LENGTH', 'URL', 'HOMEPAGE_URL', ''];

t.test('the credential rule set, by name', async (t) => {
  const { isCredentialName } = await import('../../dist/observability/mask.js');
  for (const name of credentialNames) t.equal(isCredentialName(name), true, `${name} is a credential's name`);
  for (const name of ordinaryNames) t.equal(isCredentialName(name), false, `${JSON.stringify(name)} is not`);
});

t.test('every credential name is masked wherever it appears: key, env var, --flag=, NAME=, flag and value', async (t) => {
  for (const name of credentialNames) {
    const value = `v-${name}-hunter2`;
    const pod = {
      kind: 'Pod',
      spec: {
        containers: [
          {
            name: 'app',
            env: [{ name, value }],
            args: [`--${name}=${value}`, `${name}=${value}`, `--${name}`, value, '--verbose'],
          },
        ],
      },
      settings: { [name]: value, nested: { [name]: { value, other: [value] } } },
    };
    const text = JSON.stringify(maskObject(pod));
    t.notMatch(text, /hunter2/, `${name}: no value left`);
    const out = maskObject(pod) as any;
    t.same(out.spec.containers[0].args, [`--${name}=${masked}`, `${name}=${masked}`, `--${name}`, masked, '--verbose'], `${name}: args keep their flags`);
    t.same(out.settings.nested[name], { value: masked, other: [masked] }, `${name}: an object under it keeps its shape`);
  }
  for (const name of ordinaryNames.filter(Boolean)) {
    const out = maskObject({ env: [{ name, value: 'plain' }], args: [`--${name}=plain`], [name]: 'plain' }) as any;
    t.same(out, { env: [{ name, value: 'plain' }], args: [`--${name}=plain`], [name]: 'plain' }, `${name}: kept`);
  }
});

t.test('a URL\'s password is masked anywhere; a ConfigMap keeps only its key names', async (t) => {
  const out = maskObject({ env: [{ name: 'UPSTREAM', value: 'postgres://app:hunter2@db:5432/app' }], args: ['--db=mysql://root:hunter2@x/y'] }) as any;
  t.equal(out.env[0].value, `postgres://app:${masked}@db:5432/app`);
  t.same(out.args, [`--db=mysql://root:${masked}@x/y`]);
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', annotations: { note: 'x' } }, data: { 'app.properties': 'db.password=hunter2' }, binaryData: { blob: 'aHVudGVyMg==' } };
  t.same(maskObject(configMap), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', annotations: { note: masked } }, data: { 'app.properties': masked }, binaryData: { blob: masked } });
  t.match(maskObject({ metadata: { name: 'c' }, data: { k: 'v' } }, 'ConfigMap'), { data: { k: masked } }, 'the request kind says ConfigMap');
});
