// Self-test kernels, appended to weather.cl in the self-test's program
// (built with SELFTEST and the engine's own build options: gpu/selftest.go),
// so that they compile under the same options and pragmas as the kernels
// they vouch for, and use their STEP macro.

// selftest_step runs STEP once per case: in holds (t, p, c, sigma, z) per
// case, out gets the VW lanes of the new t per case. gpu/selftest.go picks
// cases whose result changes when the device fuses a multiply into an add
// (despite FP_CONTRACT OFF) or flushes subnormal inputs or results to zero.
__kernel void selftest_step(__global const float *in, __global float *out, uint n) {
	const uint i = get_global_id(0);
	if (i >= n) return;
	__global const float *a = in + 5 * i;
	const float p = a[1], c = a[2], sigma = a[3];
	floatv t = (floatv)a[0];
	const floatv z = (floatv)a[4];
	STEP(t, z);
	VSTORE(t, out + VW * i);
}
