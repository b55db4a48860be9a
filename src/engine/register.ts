/** Registers the custom physics kernels on every backend, once per JavaScript realm. */
import { registerCpuKernels } from './cpu';
import { registerPhysicsGradients } from './gradients';
import { registerWebGlKernels } from './webgl';
import { registerWebGpuKernels } from './webgpu';

let registered = false;

export function registerPhysicsKernels(): void {
  if (registered) return;
  registerCpuKernels();
  registerWebGlKernels();
  registerWebGpuKernels();
  registerPhysicsGradients();
  registered = true;
}
