import { describe, expect, it } from 'vitest';
import {
  filterCoverage,
  fillTopic,
  topicFilterProblem,
  topicMatches,
  topicNameProblem,
  unknownPlaceholders,
} from '../../src/traffic/topics.js';

describe('topic templates', () => {
  it('fills every placeholder, each wherever and however often it appears', () => {
    expect(fillTopic('t/{shard}/{id}/{i}/{stream}/{id}', { id: 'dev-7', i: 7, shard: 2, stream: 'telemetry' })).toBe(
      't/2/dev-7/7/telemetry/dev-7',
    );
  });

  it('names the placeholders it does not know', () => {
    expect(unknownPlaceholders('devices/{id}/{idx}/{}')).toEqual(['idx']);
    expect(unknownPlaceholders('{"id":"{id}","r":"{random:8}","x":{nope}}', ['id', 'random'])).toEqual(['nope']);
    expect(unknownPlaceholders('devices/{id}/{i}')).toEqual([]);
  });
});

describe('topic names and filters', () => {
  it.each([
    ['', 'empty'],
    ['a/+/b', 'wildcards'],
    ['a/#', 'wildcards'],
    ['a\u0000b', 'NUL'],
    ['x'.repeat(65536), '65535'],
  ])('rejects the topic name %#', (topic, why) => {
    expect(topicNameProblem(topic)).toContain(why);
  });

  it('accepts an ordinary topic name', () => {
    expect(topicNameProblem('devices/dev-1/telemetry')).toBeNull();
  });

  it.each([
    ['a/#/b', '#'],
    ['a/b#', '#'],
    ['a/b+/c', '+'],
    ['$share/g', '$share'],
    ['$share//a', '$share'],
    ['', 'empty'],
  ])('rejects the filter %s', (filter, why) => {
    expect(topicFilterProblem(filter)).toContain(why);
  });

  it.each(['#', '+', 'a/+/c', 'a/#', '$share/g/a/+/c'])('accepts the filter %s', (filter) => {
    expect(topicFilterProblem(filter)).toBeNull();
  });
});

describe('topicMatches', () => {
  it.each([
    ['devices/+/telemetry', 'devices/dev-1/telemetry', true],
    ['devices/+/telemetry', 'devices/dev-1/other', false],
    ['devices/+/telemetry', 'devices/dev-1/telemetry/x', false],
    ['devices/#', 'devices', true],
    ['devices/#', 'devices/a/b/c', true],
    ['#', 'a/b', true],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/', false],
    ['$share/group/devices/+/telemetry', 'devices/dev-9/telemetry', true],
    ['$share/group/devices/+/telemetry', 'devices/dev-9/x', false],
    ['$share/bad', 'bad', false],
  ])('%s against %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('filterCoverage: which devices of a per-device topic a filter reaches', () => {
  const fixed = { shard: 0, stream: 'telemetry' };
  it.each([
    ['devices/+/telemetry', 'devices/{id}/telemetry', 'all'],
    ['devices/#', 'devices/{id}/telemetry', 'all'],
    ['#', 'devices/{id}/telemetry', 'all'],
    ['$share/g/devices/+/telemetry', 'devices/{id}/telemetry', 'all'],
    ['devices/+/+', 'devices/{id}/{stream}', 'all'],
    ['devices/+/telemetry', 'devices/{id}/{stream}', 'all'],
    ['devices/+/other', 'devices/{id}/{stream}', 'none'],
    ['devices/dev-1/telemetry', 'devices/{id}/telemetry', 'some'],
    ['devices/dev-1/#', 'devices/{id}/telemetry', 'some'],
    ['fleet/7', 'fleet/{i}', 'some'],
    ['fleet/+', 'fleet/n-{i}', 'all'],
    ['devices/dev-1/other', 'devices/{id}/telemetry', 'none'],
    ['devices/+', 'devices/{id}/telemetry', 'none'],
    ['devices/+/telemetry/x', 'devices/{id}/telemetry', 'none'],
    ['+/x', '$aws/{id}/x', 'none'],
    ['site/0/+', 'site/{shard}/{id}', 'all'],
    ['site/1/+', 'site/{shard}/{id}', 'none'],
  ] as const)('%s on %s: %s', (filter, template, expected) => {
    expect(filterCoverage(filter, template, fixed)).toBe(expected);
  });
});
