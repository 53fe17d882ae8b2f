export {
  DeciderSpecification,
  type ErrorExpectation,
  type GivenClause,
  type ThenClause,
  type WhenClause,
} from './decider-specification.ts';
