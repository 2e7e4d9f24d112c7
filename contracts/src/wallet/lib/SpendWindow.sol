// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SpendWindow
/// @notice A rolling-window spend log (ring buffer with a running sum) that never lets the total of any interval of
///         `window` seconds exceed the cap checked against it.
/// @dev Each entry packs `tFirst` (48 bits) | `tLast` (48) | `amount` (160). A spend merges into the newest entry
///      when that entry was opened less than `window / 32 + 1` seconds ago; the merged entry then expires at
///      `tLast + window`. Merging only ever keeps an amount counted LONGER than its exact expiry (by under 1/32 of
///      the window), never shorter, so the cap holds for every interval while the log needs at most ~35 live
///      entries: `CAPACITY` (40) is never reached by spends that pass the cap check, and SpendLogFull stays a
///      defensive refusal.
library SpendWindow {
    uint256 internal constant CAPACITY = 40;
    uint256 private constant AMOUNT_MAX = type(uint160).max;

    /// @dev `head` is the ring index of the oldest live entry, `len` the number of entries, `sum` their total.
    struct Log {
        uint32 head;
        uint32 len;
        uint192 sum;
        mapping(uint256 => uint256) entries;
    }

    function _unpack(uint256 e) private pure returns (uint256 tFirst, uint256 tLast, uint256 amount) {
        tFirst = e & type(uint48).max;
        tLast = (e >> 48) & type(uint48).max;
        amount = e >> 96;
    }

    function _pack(uint256 tFirst, uint256 tLast, uint256 amount) private pure returns (uint256) {
        return tFirst | (tLast << 48) | (amount << 96);
    }

    function _granularity(uint256 window) private pure returns (uint256) {
        return window / 32 + 1;
    }

    /// @notice The total of the live entries now, and whether a new spend would find no free slot.
    function inspect(Log storage log, uint256 window) internal view returns (uint256 live, bool full) {
        uint256 head = log.head;
        uint256 len = log.len;
        live = log.sum;
        uint256 nowTs = block.timestamp;
        while (len != 0) {
            (, uint256 tLast, uint256 amount) = _unpack(log.entries[head]);
            if (tLast + window > nowTs) break;
            live -= amount;
            head = (head + 1) % CAPACITY;
            --len;
        }
        if (len == CAPACITY) {
            (uint256 tFirst,,) = _unpack(log.entries[(head + len - 1) % CAPACITY]);
            full = nowTs - tFirst >= _granularity(window);
        }
    }

    /// @notice Drops expired entries and adds `amount` now; returns the live total after it. With `force`, a full
    ///         log merges into its newest entry (re-stamped now, so the merge only over-counts).
    function record(Log storage log, uint256 window, uint256 amount, bool force) internal returns (uint256 sumAfter) {
        if (amount > AMOUNT_MAX) amount = AMOUNT_MAX;
        uint256 head = log.head;
        uint256 len = log.len;
        uint256 sum = log.sum;
        uint256 nowTs = block.timestamp;
        while (len != 0) {
            (, uint256 tLast, uint256 a) = _unpack(log.entries[head]);
            if (tLast + window > nowTs) break;
            sum -= a;
            head = (head + 1) % CAPACITY;
            --len;
        }
        bool merged;
        if (len != 0) {
            uint256 idx = (head + len - 1) % CAPACITY;
            (uint256 tFirst,, uint256 a) = _unpack(log.entries[idx]);
            if (nowTs - tFirst < _granularity(window) || (len == CAPACITY && force)) {
                uint256 total = a + amount;
                if (total > AMOUNT_MAX) total = AMOUNT_MAX;
                log.entries[idx] = _pack(tFirst, nowTs, total);
                merged = true;
            }
        }
        if (!merged) {
            // Callers check `inspect` first; a full log here is a bug, not a policy refusal.
            assert(len < CAPACITY);
            log.entries[(head + len) % CAPACITY] = _pack(nowTs, nowTs, amount);
            ++len;
        }
        sum += amount;
        if (sum > type(uint192).max) sum = type(uint192).max;
        log.head = uint32(head);
        log.len = uint32(len);
        log.sum = uint192(sum);
        return sum;
    }
}
