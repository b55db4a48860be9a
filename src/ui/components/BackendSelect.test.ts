// Checks the confirmation that guards a backend switch, by calling the component's select handler directly (no DOM here).
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';

import type { RequestedBackend } from '../../device/policy';
import { BackendSelect, backendSwitchQuestion, type BackendSwitchLosses } from './BackendSelect';

const NOTHING: BackendSwitchLosses = { pieResult: false, pinnResult: false, pinnModel: false, halves: false };
const EVERYTHING: BackendSwitchLosses = { pieResult: true, pinnResult: true, pinnModel: true, halves: true };

type SelectProps = { onChange(event: { target: { value: string } }): void };

/** Renders BackendSelect as a function and picks `next` in its select, returning what happened. */
function pick(next: RequestedBackend, losses: BackendSwitchLosses | undefined, answer: boolean) {
  const questions: string[] = [];
  const changes: RequestedBackend[] = [];
  const label = BackendSelect({
    value: 'auto',
    disabled: false,
    onChange: (value) => changes.push(value),
    losses,
    confirm: (message) => {
      questions.push(message);
      return answer;
    },
  }) as ReactElement<{ children: unknown[] }>;
  const select = label.props.children.find(
    (child): child is ReactElement<SelectProps> => typeof child === 'object' && child !== null && (child as ReactElement).type === 'select',
  );
  select!.props.onChange({ target: { value: next } });
  return { questions, changes };
}

describe('backendSwitchQuestion', () => {
  it('is null when nothing would be lost', () => {
    expect(backendSwitchQuestion('cpu', undefined)).toBeNull();
    expect(backendSwitchQuestion('cpu', NOTHING)).toBeNull();
  });

  it('names everything that would be lost', () => {
    expect(backendSwitchQuestion('cpu', EVERYTHING)).toBe(
      'Switching the compute backend to CPU restarts the computation and discards the rPIE result, the ' +
        'PtychoPINN result, the PtychoPINN model, and the half-scan comparison. To keep them, cancel and save ' +
        'first with the Save buttons under the result and Save model. Switch anyway?',
    );
  });

  it('suggests Save model for a model alone', () => {
    const question = backendSwitchQuestion('webgl', { ...NOTHING, pinnModel: true });
    expect(question).toContain('to WebGL restarts');
    expect(question).toContain('discards the PtychoPINN model.');
    expect(question).toContain('save first with Save model.');
    expect(question).not.toContain('Save buttons under the result');
  });
});

describe('BackendSelect', () => {
  it('switches without asking when nothing is at stake', () => {
    const { questions, changes } = pick('cpu', NOTHING, false);
    expect(questions).toEqual([]);
    expect(changes).toEqual(['cpu']);
  });

  it('switches after confirmation', () => {
    const { questions, changes } = pick('cpu', EVERYTHING, true);
    expect(questions).toHaveLength(1);
    expect(changes).toEqual(['cpu']);
  });

  it('keeps the backend when cancelled', () => {
    const { questions, changes } = pick('cpu', EVERYTHING, false);
    expect(questions).toHaveLength(1);
    expect(changes).toEqual([]);
  });

  it('ignores picking the current backend', () => {
    const { questions, changes } = pick('auto', EVERYTHING, true);
    expect(questions).toEqual([]);
    expect(changes).toEqual([]);
  });
});
