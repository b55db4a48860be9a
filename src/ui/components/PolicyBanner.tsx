import type { BackendResolution } from '../../device/policy';
import { describeResolution, SOFTWARE_WEBGL_NOTICE } from '../../device/policy';

interface Props {
  resolution: BackendResolution | null;
  error: string | null;
}

/**
 * Shows the resolved backend, and a visible banner whenever `auto` did not land on WebGPU. On a
 * software WebGL renderer the banner advises the cpu backend.
 */
export function PolicyBanner({ resolution, error }: Props) {
  if (error) {
    return (
      <div className="banner banner-error" role="alert">
        {error}
      </div>
    );
  }
  if (!resolution) {
    return <p className="backend-headline">Choosing a compute backend…</p>;
  }
  const { headline, banner } = describeResolution(resolution);
  // The banner already explains a software WebGL renderer, so its short notice would repeat it.
  const notices = resolution.notices.filter((notice) => !(banner && notice === SOFTWARE_WEBGL_NOTICE));
  return (
    <>
      <p className="backend-headline" data-testid="backend-headline" data-backend={resolution.backend}>
        {headline}
      </p>
      {banner && (
        <div className="banner banner-warning" role="status" data-testid="policy-banner">
          {banner}
        </div>
      )}
      {notices.map((notice) => (
        <p className="notice" key={notice} data-testid="backend-notice">
          {notice}
        </p>
      ))}
    </>
  );
}
