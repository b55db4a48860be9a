interface Props {
  /** Warning that the product's object leaves part of the scanned region uncovered, if any. */
  coverageWarning: string | null;
  /** The reader's notices about the product. */
  notices: readonly string[];
  /** Reason the last file was rejected, or null. */
  problem: string | null;
}

/** Shows a product picker's coverage warning, the reader's notices and the last rejection. */
export function PickerMessages({ coverageWarning, notices, problem }: Props) {
  return (
    <>
      {coverageWarning && (
        <p className="banner banner-warning" role="status">
          {coverageWarning}
        </p>
      )}
      {notices.map((notice) => (
        <p className="notice" key={notice}>
          {notice}
        </p>
      ))}
      {problem && (
        <p className="banner banner-error" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
