// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IAdaptivePool
/// @notice A constant-product pool of two ERC-20 tokens with a volatility-driven fee, a TWAP oracle and a circuit
///         breaker. Fixed-point scales: fees in parts per million (`FEE_SCALE` = 1e6), prices, variance and `k` in
///         WAD (1e18). Every quantity is integer math that `src/defi/poolMath.ts` reproduces to the wei.
interface IAdaptivePool {
    /// @notice Governance's limits on what the parameter controller may set.
    struct Bounds {
        uint32 minBaseFee; // ppm
        uint32 maxBaseFee; // ppm
        uint64 maxK; // ppm of fee per 1.0 (WAD) of variance
        uint32 maxFee; // ppm, cap on the dynamic fee
    }

    /// @notice Circuit-breaker configuration; `threshold == 0` turns the breaker off.
    struct Breaker {
        uint32 threshold; // ppm deviation of the post-swap price from the TWAP reference
        uint32 window; // seconds between TWAP reference updates
        uint32 cooldown; // seconds swaps stay paused after a trip
    }

    /// @notice Everything the off-chain mirror compares, in one read.
    struct PoolState {
        uint256 reserve0;
        uint256 reserve1;
        uint256 totalShares;
        uint32 fee;
        uint32 baseFee;
        uint64 k;
        uint256 variance;
        uint256 priceCumulative;
        uint64 lastTimestamp;
        uint256 obsCumulative;
        uint64 obsTimestamp;
        uint256 twapPrice;
        uint64 pausedUntil;
    }

    /// @notice Tokens were swapped; `fee` is the ppm fee charged on `amountIn`.
    event Swap(
        address indexed sender, address indexed to, bool zeroForOne, uint256 amountIn, uint256 amountOut, uint32 fee
    );
    /// @notice Liquidity was added and `shares` minted to `to`.
    event LiquidityAdded(
        address indexed provider, address indexed to, uint256 amount0, uint256 amount1, uint256 shares
    );
    /// @notice `shares` were burned and the underlying paid to `to`.
    event LiquidityRemoved(
        address indexed provider, address indexed to, uint256 amount0, uint256 amount1, uint256 shares
    );
    /// @notice Reserves changed (after every swap, add and remove).
    event Sync(uint256 reserve0, uint256 reserve1);
    /// @notice The realized variance and the fee it drives were updated.
    event FeeUpdated(uint256 variance, uint32 fee);
    /// @notice The TWAP reference rolled to a new window.
    event TwapUpdated(uint256 twapPrice, uint64 timestamp);
    /// @notice A swap would have moved the price beyond the breaker's band; until `pausedUntil`, only swaps that do not
    ///         move the price further from the TWAP reference execute.
    event BreakerTripped(uint256 attemptedPrice, uint256 twapPrice, uint64 pausedUntil);
    /// @notice The controller moved the fee parameters.
    event FeeParamsSet(address indexed by, uint32 baseFee, uint64 k);
    /// @notice Governance set the controller's bounds.
    event BoundsSet(uint32 minBaseFee, uint32 maxBaseFee, uint64 maxK, uint32 maxFee);
    /// @notice Governance set the breaker's configuration.
    event BreakerSet(uint32 threshold, uint32 window, uint32 cooldown);
    /// @notice Governance replaced the parameter controller.
    event ControllerSet(address indexed controller);

    /// @notice A token address or recipient was zero, or the two tokens are the same.
    error InvalidToken();
    /// @notice An amount that must be positive was zero.
    error ZeroAmount();
    /// @notice A swap would pay less than the caller's minimum.
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);
    /// @notice The pool has no liquidity yet, or a deposit is too small to mint a share.
    error InsufficientLiquidity();
    /// @notice Minted shares fall below the caller's minimum.
    error InsufficientShares(uint256 shares, uint256 minShares);
    /// @notice The caller burns more shares than it holds.
    error SharesExceedBalance(uint256 shares, uint256 balance);
    /// @notice Swaps are paused by the breaker until `until`, and this swap would move the price further from the TWAP
    ///         reference (only swaps that do not increase the deviation execute during a pause).
    error SwapsPaused(uint64 until);
    /// @notice Only the parameter controller may call this.
    error NotController(address caller);
    /// @notice `baseFee` lies outside governance's bounds.
    error BaseFeeOutOfBounds(uint32 baseFee, uint32 minBaseFee, uint32 maxBaseFee);
    /// @notice `k` exceeds governance's bound.
    error KOutOfBounds(uint64 k, uint64 maxK);
    /// @notice Bounds are inconsistent (min > max, or a fee of 100% or more).
    error InvalidBounds();
    /// @notice Breaker configuration is inconsistent (window or cooldown zero while enabled, threshold >= 100%).
    error InvalidBreaker();

    /// @notice Swaps exactly `amountIn` of one token for at least `minAmountOut` of the other, paid to `to`.
    /// @dev The TWAP accumulator is updated (and its window rolled when due) first; deviations below are measured in
    ///      ppm against the reference as it stands after that update: dev(p) = |p - twap| * 1e6 / twap.
    ///      Not paused: if the post-swap price's deviation would exceed the breaker's threshold and the pre-swap
    ///      price's deviation, the swap is NOT executed: nothing is transferred, swaps pause for the cooldown,
    ///      `BreakerTripped` is emitted and 0 is returned (the call does not revert, so the pause persists).
    ///      Paused (`block.timestamp < pausedUntil`): a swap whose post-swap deviation is not greater than its
    ///      pre-swap deviation (toward the TWAP, or no farther from it) executes normally, so arbitrage back toward
    ///      the reference is never frozen; a swap that would increase the deviation reverts `SwapsPaused(pausedUntil)`
    ///      (as does every swap in the degenerate case of a zero reference). A pause is neither extended nor lifted by
    ///      swaps, and applies whatever the threshold.
    /// @return amountOut Tokens paid out (0 if the breaker tripped).
    function swap(bool zeroForOne, uint256 amountIn, uint256 minAmountOut, address to)
        external
        returns (uint256 amountOut);

    /// @notice Deposits up to `amount0Max`/`amount1Max` at the pool's ratio and mints shares to `to`.
    function addLiquidity(uint256 amount0Max, uint256 amount1Max, uint256 minShares, address to)
        external
        returns (uint256 shares, uint256 amount0, uint256 amount1);

    /// @notice Burns `shares` of the caller and pays the pro-rata reserves to `to`.
    function removeLiquidity(uint256 shares, uint256 min0, uint256 min1, address to)
        external
        returns (uint256 amount0, uint256 amount1);

    /// @notice Controller: sets the base fee and the volatility multiplier within governance's bounds.
    function setFeeParams(uint32 baseFee, uint64 k) external;

    /// @notice Governance: sets the controller's bounds (current parameters must already lie inside them).
    function setBounds(Bounds calldata bounds) external;

    /// @notice Governance: sets the breaker configuration.
    function setBreaker(Breaker calldata breaker) external;

    /// @notice Governance: replaces the parameter controller.
    function setController(address controller) external;

    /// @notice The pool's full state, as the off-chain mirror holds it.
    function state() external view returns (PoolState memory);

    /// @notice Spot price of token0 in token1, WAD.
    function spotPrice() external view returns (uint256);
}
