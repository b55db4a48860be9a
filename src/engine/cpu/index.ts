/** Registers the physics kernels for the TensorFlow.js 'cpu' backend. */
export function registerCpuKernels(): void {
  // Filled in by the cpu kernel work.
}
