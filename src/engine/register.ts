/** Registers the custom physics kernels on every backend, once per JavaScript realm. */
import { registerCpuKernels } from './cpu';
import { registerPhaseActivationCpuKernel } from './cpu/phaseActivationKernel';
import { registerUpsampleNearest2xCpuKernels } from './cpu/upsampleKernel';
import { registerPhysicsGradients } from './gradients';
import { registerWebGlKernels } from './webgl';
import { registerWebGpuKernels } from './webgpu';

let registered = false;

export function registerPhysicsKernels(): void {
  if (registered) return;
  registerCpuKernels();
  registerUpsampleNearest2xCpuKernels();
  registerPhaseActivationCpuKernel();
  registerWebGlKernels();
  registerWebGpuKernels();
  registerPhysicsGradients();
  registered = true;
}
