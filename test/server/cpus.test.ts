// The default worker count follows the CPUs the process may use: a cgroup CPU quota lowers the cores it sees.
import t from 'tap';
import { cgroupCpuQuota, defaultWorkers, usableCpus } from '../../dist/config/cpus.js';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

t.test('cgroup v2: cpu.max is "quota period", or "max period" for none', async (t) => {
  t.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' })), 2, 'rounded up');
  t.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '100000 100000\n' })), 1);
  t.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), undefined);
  t.equal(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': 'nonsense' })), undefined);
});

t.test('cgroup v1: cfs_quota_us / cfs_period_us, -1 for none', async (t) => {
  const v1 = (quota: string) => files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': `${quota}\n`, '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' });
  t.equal(cgroupCpuQuota(v1('300000')), 3);
  t.equal(cgroupCpuQuota(v1('50000')), 1);
  t.equal(cgroupCpuQuota(v1('-1')), undefined);
  t.equal(cgroupCpuQuota(files({})), undefined, 'no cgroup files at all');
});

t.test('the quota lowers the cores, never raises them, and leaves at least one', async (t) => {
  t.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '200000 100000' }), 16), 2, 'a pod limited to 2 CPUs on a 16-core node');
  t.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }), 4), 4, 'a quota above the cores');
  t.equal(usableCpus(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }), 4), 4, 'no quota');
  t.equal(usableCpus(files({}), 0), 1);
});

t.test('the server evaluates in its own thread on one CPU, on a worker per CPU beyond', async (t) => {
  t.equal(defaultWorkers(1), 0, 'one CPU (a pod limited to one, or taskset): no worker');
  t.equal(defaultWorkers(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '100000 100000' }), 8)), 0, 'a quota of one CPU on an 8-core node');
  t.equal(defaultWorkers(2), 2);
  t.equal(defaultWorkers(16), 16);
});
