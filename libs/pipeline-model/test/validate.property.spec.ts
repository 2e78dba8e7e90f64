/** Property tests: generated valid declarations have no problems; each mutation gives exactly the expected problem. */
import fc from 'fast-check';
import { ActionDeclaration, importPipeline, PipelineDeclaration, readPipelineDocument } from '../src';
import { problemsOf, registry } from './fixtures';
import { generatePipeline } from './pipeline-arbitrary';

// 60 generated pipelines per property keeps the suite quick on shared machines.
fc.configureGlobal({ numRuns: 60 });

type G = fc.GeneratorValue;
type Expected = { path: string; rule: string };
const int = (g: G, min: number, max: number): number => g(fc.integer, { min, max });

interface Located {
  action: ActionDeclaration;
  path: string;
}
const allActions = (d: PipelineDeclaration): Located[] =>
  d.stages.flatMap((stage, s) => stage.actions.map((action, a) => ({ action, path: `pipeline.stages[${s}].actions[${a}]` })));
const pickAction = (g: G, d: PipelineDeclaration, filter: (l: Located) => boolean = () => true): Located => {
  const candidates = allActions(d).filter(filter);
  fc.pre(candidates.length > 0);
  return candidates[int(g, 0, candidates.length - 1)]!;
};

describe('generated valid declarations', () => {
  it('have zero problems', () => {
    fc.assert(fc.property(fc.gen(), (g) => {
      expect(problemsOf(generatePipeline(g))).toEqual([]);
    }));
  });

  it('read back equal and import with zero problems', () => {
    fc.assert(fc.property(fc.gen(), (g) => {
      const declaration = generatePipeline(g);
      const document = JSON.parse(JSON.stringify({ pipeline: declaration }));
      expect(readPipelineDocument(document).declaration).toEqual(declaration);
      expect(importPipeline(document, registry).problems).toEqual([]);
    }));
  });
});

const MUTATIONS: Record<string, (d: PipelineDeclaration, g: G) => Expected> = {
  'duplicate stage name': (d, g) => {
    const k = int(g, 1, d.stages.length - 1);
    d.stages[k]!.name = d.stages[int(g, 0, k - 1)]!.name;
    return { path: `pipeline.stages[${k}].name`, rule: 'stage.name.duplicate' };
  },
  'Source action moved to a later stage': (d, g) => {
    const [source] = d.stages[0]!.actions.splice(0, 1);
    const k = int(g, 1, d.stages.length - 1);
    const actions = d.stages[k]!.actions;
    actions.push(source!);
    return { path: `pipeline.stages[${k}].actions[${actions.length - 1}].actionTypeId.category`, rule: 'action.source.not-in-first-stage' };
  },
  'runOrder 0 or 1000': (d, g) => {
    const { action, path } = pickAction(g, d);
    action.runOrder = g(fc.constantFrom, 0, 1000);
    return { path: `${path}.runOrder`, rule: 'action.run-order' };
  },
  'dangling input artifact': (d, g) => {
    const { action, path } = pickAction(g, d, (l) => (l.action.inputArtifacts ?? []).length > 0);
    const j = int(g, 0, action.inputArtifacts!.length - 1);
    action.inputArtifacts![j] = { name: 'Dangling-artifact' };
    return { path: `${path}.inputArtifacts[${j}].name`, rule: 'artifact.input.not-upstream' };
  },
  'duplicate output artifact': (d, g) => {
    const first = d.stages[0]!.actions[0]!;
    const { action, path } = pickAction(g, d, (l) => l.action !== first && (l.action.outputArtifacts ?? []).length > 0);
    action.outputArtifacts![0] = { name: first.outputArtifacts![0]!.name };
    return { path: `${path}.outputArtifacts[0].name`, rule: 'artifact.output.duplicate' };
  },
  'unresolved #{Ns.Var}': (d, g) => appendToConfiguration(d, g, '#{Undeclared.Var}', 'variable.reference.namespace-not-upstream'),
  'unknown #{variables.x}': (d, g) => appendToConfiguration(d, g, '#{variables.undeclared}', 'variable.reference.pipeline-variable-undeclared'),
  'missing required configuration': (d) => {
    const source = d.stages[0]!.actions[0]!;
    const required = registry.resolve(source.actionTypeId)!.definition.actionConfigurationProperties.find((p) => p.required)!.name;
    delete source.configuration![required];
    return { path: `pipeline.stages[0].actions[0].configuration.${required}`, rule: 'action.configuration.required' };
  },
  'bad name characters': (d, g) => {
    const target = g(fc.constantFrom, 'pipeline', 'stage', 'action');
    if (target === 'pipeline') {
      d.name = `${d.name} !`;
      return { path: 'pipeline.name', rule: 'pipeline.name' };
    }
    if (target === 'stage') {
      const k = int(g, 0, d.stages.length - 1);
      d.stages[k]!.name += '/x';
      return { path: `pipeline.stages[${k}].name`, rule: 'stage.name' };
    }
    const { action, path } = pickAction(g, d);
    action.name += ' #';
    return { path: `${path}.name`, rule: 'action.name' };
  },
  'too few stages': (d) => {
    d.stages.splice(1);
    return { path: 'pipeline.stages', rule: 'pipeline.stages.count' };
  },
};

function appendToConfiguration(d: PipelineDeclaration, g: G, reference: string, rule: string): Expected {
  const { action, path } = pickAction(g, d, (l) => Object.keys(l.action.configuration ?? {}).length > 0);
  const key = Object.keys(action.configuration!)[0]!;
  action.configuration![key] += ` ${reference}`;
  return { path: `${path}.configuration.${key}`, rule };
}

describe('each mutation of a valid declaration', () => {
  it.each(Object.keys(MUTATIONS))('%s gives a problem with exactly the expected path and rule', (mutation) => {
    fc.assert(fc.property(fc.gen(), (g) => {
      const declaration = generatePipeline(g);
      const expected = MUTATIONS[mutation]!(declaration, g);
      expect(problemsOf(declaration)).toContainEqual(expected);
    }));
  });

  it('wrong field type gives a shape problem at exactly that path', () => {
    fc.assert(fc.property(fc.gen(), (g) => {
      const document = JSON.parse(JSON.stringify({ pipeline: generatePipeline(g) }));
      const s = int(g, 0, document.pipeline.stages.length - 1);
      const a = int(g, 0, document.pipeline.stages[s].actions.length - 1);
      const field = g(fc.constantFrom, 'runOrder', 'name', 'inputArtifacts', 'configuration');
      document.pipeline.stages[s].actions[a][field] = field === 'runOrder' ? '1' : field === 'name' ? 42 : 'not-a-list';
      expect(readPipelineDocument(document).problems.map(({ path, rule }) => ({ path, rule }))).toEqual([
        { path: `pipeline.stages[${s}].actions[${a}].${field}`, rule: 'shape.type' },
      ]);
    }));
  });
});
