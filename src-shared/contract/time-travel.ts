import { z } from 'zod';
import { empty } from '../schemas/common';
import {
  timeTravelClearDefinitionsFolderInput,
  timeTravelCompareInput,
  timeTravelCompareResult,
  timeTravelConfirmDefinitionsInput,
  timeTravelDefinitionsChangedData,
  timeTravelDefinitionsFolderResult,
  timeTravelDefinitionsResult,
  timeTravelFieldHistoryInput,
  timeTravelFieldHistoryResult,
  timeTravelSetDefinitionsFolderInput,
  timeTravelSetDefinitionsFolderResult,
  timeTravelStateInput,
  timeTravelStateResult,
  timeTravelStepsInput,
  timeTravelStepsResult,
  timeTravelVerifySnapshotInput,
  timeTravelVerifySnapshotResult,
} from '../schemas/time-travel';
import { op } from './op';

/** The operations of time travel over an aggregate's history and the user's definitions. */
export const timeTravelOperations = {
  'timeTravel.definitions': op({
    summary: "Projection definitions for time travel: built-ins and the user folder's files, each loaded or with its load error",
    input: empty,
    result: timeTravelDefinitionsResult,
    effect: 'none',
  }),
  'timeTravel.setDefinitionsFolder': op({
    summary: 'List a folder of user projection definitions (its *.js files, nothing run); with the listing hash, use it and run the files listed',
    input: timeTravelSetDefinitionsFolderInput,
    result: timeTravelSetDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.confirmDefinitions': op({
    summary: "Confirm the definitions folder's files as they are now (new or changed ones run from then on)",
    input: timeTravelConfirmDefinitionsInput,
    result: timeTravelSetDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.clearDefinitionsFolder': op({
    summary: 'Stop loading user projection definitions',
    input: timeTravelClearDefinitionsFolderInput,
    result: timeTravelDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.definitionsChanged': op({
    summary: 'Stream the definitions revision: once at once, then whenever user definition files change',
    input: empty,
    result: z.object({ revision: z.number() }),
    stream: timeTravelDefinitionsChangedData,
    effect: 'none',
    invalidates: ['timeTravel.definitions', 'timeTravel.steps', 'timeTravel.fieldHistory', 'timeTravel.compare'],
  }),
  'timeTravel.state': op({
    summary: 'State of an aggregate at a version or a time, replayed in a sandbox, from a snapshot when one fits',
    input: timeTravelStateInput,
    result: timeTravelStateResult,
    effect: 'none',
    personalData: true,
  }),
  'timeTravel.compare': op({
    summary: 'States at two points and their structural diff',
    input: timeTravelCompareInput,
    result: timeTravelCompareResult,
    effect: 'none',
    personalData: true,
  }),
  'timeTravel.steps': op({
    summary: 'Each event of a range with the state before and after it and the diff',
    input: timeTravelStepsInput,
    result: timeTravelStepsResult,
    effect: 'none',
    personalData: true,
  }),
  'timeTravel.fieldHistory': op({
    summary: 'Every event that changed one field of the state, with old and new values',
    input: timeTravelFieldHistoryInput,
    result: timeTravelFieldHistoryResult,
    effect: 'none',
    personalData: true,
  }),
  'timeTravel.verifySnapshot': op({
    summary: 'Replay from zero to the latest snapshot and diff it with the stored state',
    input: timeTravelVerifySnapshotInput,
    result: timeTravelVerifySnapshotResult,
    effect: 'none',
  }),
} as const;
