// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAdaptivePool} from "./interfaces/IAdaptivePool.sol";

/// @title AdaptivePool
/// @notice Constant-product AMM whose fee rises with realized volatility and whose circuit breaker, when a swap
///         would push the price too far from its TWAP, pauses swaps away from the TWAP (swaps back toward it go on).
/// @dev Math (mirrored by `src/defi/poolMath.ts`, wei-exact):
///      - price = reserve1 * 1e18 / reserve0 (token1 per token0, WAD, floor).
///      - swap: inAfterFee = amountIn * (1e6 - fee) / 1e6; out = inAfterFee * rOut / (rIn + inAfterFee); the whole
///        `amountIn` joins the reserves, so the fee accrues to LPs.
///      - variance (EWMA per swap): move = min(|p1 - p0| * 1e18 / p0, 1e18); variance = (variance * (1e18 - ALPHA)
///        + move^2 / 1e18 * ALPHA) / 1e18.
///      - fee = min(baseFee + k * variance / 1e18, maxFee), recomputed after every swap and parameter change.
///      - TWAP: before reserves change, priceCumulative += price * elapsed; when `window` seconds have passed since
///        the last observation, twapPrice = (priceCumulative - obsCumulative) / (now - obsTimestamp) and the
///        observation rolls to now.
///      - breaker: with threshold > 0, dev(p) = |p - twapPrice| * 1e6 / twapPrice; a swap whose post-trade price has
///        dev > threshold and dev greater than before is not executed and pauses swaps for `cooldown` seconds. During
///        a pause, a swap whose post-trade dev is not greater than its pre-trade dev (both against the reference after
///        this call's TWAP update) executes normally, so arbitrage back toward the TWAP is never frozen; a swap that
///        increases dev reverts `SwapsPaused`. Trades are not the only thing that moves the reference: liquidity
///        changes roll the window too, which is why a pause must not hold a manipulated price in place.
///      LP shares are internal balances (`sharesOf`), not an ERC-20; MINIMUM_LIQUIDITY shares are locked at address 0.
///      Fee-on-transfer and rebasing tokens are not supported.
contract AdaptivePool is IAdaptivePool, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice WAD: scale of prices, variance and `k`.
    uint256 public constant WAD = 1e18;
    /// @notice Scale of fees and the breaker threshold (parts per million).
    uint256 public constant FEE_SCALE = 1e6;
    /// @notice Weight of the newest squared move in the variance EWMA (0.1, WAD).
    uint256 public constant ALPHA = 0.1e18;
    /// @notice Shares locked forever at the first deposit, so reserves never return to zero.
    uint256 public constant MINIMUM_LIQUIDITY = 1000;

    /// @notice The pool's first token.
    IERC20 public immutable token0;
    /// @notice The pool's second token.
    IERC20 public immutable token1;

    /// @notice The account allowed to move (baseFee, k) within `bounds`.
    address public controller;
    Bounds internal _bounds;
    Breaker internal _breaker;

    uint256 public reserve0;
    uint256 public reserve1;
    uint256 public totalShares;
    /// @notice LP shares per holder.
    mapping(address => uint256) public sharesOf;

    uint32 public fee;
    uint32 public baseFee;
    uint64 public k;
    uint256 public variance;

    uint256 public priceCumulative;
    uint64 public lastTimestamp;
    uint64 public obsTimestamp;
    uint64 public pausedUntil;
    uint256 public obsCumulative;
    uint256 public twapPrice;

    modifier onlyController() {
        if (msg.sender != controller) revert NotController(msg.sender);
        _;
    }

    /// @param tokenA The pool's token0.
    /// @param tokenB The pool's token1.
    /// @param initialOwner Governance (sets bounds, breaker and controller).
    /// @param initialController The parameter controller.
    /// @param bounds_ The controller's bounds.
    /// @param baseFee_ Initial base fee (ppm), inside `bounds_`.
    /// @param k_ Initial volatility multiplier, inside `bounds_`.
    /// @param breaker_ Breaker configuration.
    constructor(
        IERC20 tokenA,
        IERC20 tokenB,
        address initialOwner,
        address initialController,
        Bounds memory bounds_,
        uint32 baseFee_,
        uint64 k_,
        Breaker memory breaker_
    ) Ownable(initialOwner) {
        if (address(tokenA) == address(0) || address(tokenB) == address(0) || tokenA == tokenB) {
            revert InvalidToken();
        }
        token0 = tokenA;
        token1 = tokenB;
        controller = initialController;
        emit ControllerSet(initialController);
        baseFee = baseFee_;
        k = k_;
        _setBounds(bounds_);
        _setBreaker(breaker_);
        emit FeeParamsSet(msg.sender, baseFee_, k_);
    }

    // ------------------------------------------------------------------ trading

    /// @inheritdoc IAdaptivePool
    function swap(bool zeroForOne, uint256 amountIn, uint256 minAmountOut, address to)
        external
        nonReentrant
        returns (uint256 amountOut)
    {
        if (amountIn == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidToken();
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        if (r0 == 0) revert InsufficientLiquidity();
        uint64 now_ = uint64(block.timestamp);
        // before the breaker reads the TWAP reference (a SwapsPaused revert rolls this back)
        _accumulate(now_, r0, r1);

        uint32 feeNow = fee;
        uint256 n0;
        uint256 n1;
        (amountOut, n0, n1) = _quote(zeroForOne, amountIn, feeNow, r0, r1);
        {
            uint256 oldPrice = _price(r0, r1);
            uint256 newPrice = _price(n0, n1);
            if (_breakerStops(oldPrice, newPrice, now_)) return 0;
            if (amountOut == 0 || amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);
            variance = _nextVariance(variance, oldPrice, newPrice);
        }
        fee = _dynamicFee();
        reserve0 = n0;
        reserve1 = n1;
        emit Swap(msg.sender, to, zeroForOne, amountIn, amountOut, feeNow);
        emit Sync(n0, n1);
        emit FeeUpdated(variance, fee);
        _settleSwap(zeroForOne, amountIn, amountOut, to);
    }

    /// @dev Interactions of a swap, after all effects.
    function _settleSwap(bool zeroForOne, uint256 amountIn, uint256 amountOut, address to) private {
        (IERC20 tIn, IERC20 tOut) = zeroForOne ? (token0, token1) : (token1, token0);
        tIn.safeTransferFrom(msg.sender, address(this), amountIn);
        tOut.safeTransfer(to, amountOut);
    }

    /// @inheritdoc IAdaptivePool
    function addLiquidity(uint256 amount0Max, uint256 amount1Max, uint256 minShares, address to)
        external
        nonReentrant
        returns (uint256 shares, uint256 amount0, uint256 amount1)
    {
        if (amount0Max == 0 || amount1Max == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidToken();
        uint64 now_ = uint64(block.timestamp);
        uint256 supply = totalShares;
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        if (supply == 0) {
            uint256 root = Math.sqrt(amount0Max * amount1Max);
            if (root <= MINIMUM_LIQUIDITY) revert InsufficientLiquidity();
            shares = root - MINIMUM_LIQUIDITY;
            (amount0, amount1) = (amount0Max, amount1Max);
            sharesOf[address(0)] = MINIMUM_LIQUIDITY;
            totalShares = root;
            lastTimestamp = now_;
            obsTimestamp = now_;
            uint256 p = _price(amount0, amount1);
            twapPrice = p;
            emit TwapUpdated(p, now_);
        } else {
            _accumulate(now_, r0, r1);
            shares = Math.min(amount0Max * supply / r0, amount1Max * supply / r1);
            if (shares == 0) revert InsufficientLiquidity();
            amount0 = Math.ceilDiv(shares * r0, supply);
            amount1 = Math.ceilDiv(shares * r1, supply);
            totalShares = supply + shares;
        }
        if (shares < minShares) revert InsufficientShares(shares, minShares);
        sharesOf[to] += shares;
        reserve0 = r0 + amount0;
        reserve1 = r1 + amount1;
        emit LiquidityAdded(msg.sender, to, amount0, amount1, shares);
        emit Sync(r0 + amount0, r1 + amount1);

        token0.safeTransferFrom(msg.sender, address(this), amount0);
        token1.safeTransferFrom(msg.sender, address(this), amount1);
    }

    /// @inheritdoc IAdaptivePool
    function removeLiquidity(uint256 shares, uint256 min0, uint256 min1, address to)
        external
        nonReentrant
        returns (uint256 amount0, uint256 amount1)
    {
        if (shares == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidToken();
        uint256 balance = sharesOf[msg.sender];
        if (shares > balance) revert SharesExceedBalance(shares, balance);
        uint256 supply = totalShares;
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        _accumulate(uint64(block.timestamp), r0, r1);
        amount0 = shares * r0 / supply;
        amount1 = shares * r1 / supply;
        if (amount0 == 0 || amount1 == 0) revert InsufficientLiquidity();
        if (amount0 < min0) revert InsufficientOutput(amount0, min0);
        if (amount1 < min1) revert InsufficientOutput(amount1, min1);
        sharesOf[msg.sender] = balance - shares;
        totalShares = supply - shares;
        reserve0 = r0 - amount0;
        reserve1 = r1 - amount1;
        emit LiquidityRemoved(msg.sender, to, amount0, amount1, shares);
        emit Sync(r0 - amount0, r1 - amount1);

        token0.safeTransfer(to, amount0);
        token1.safeTransfer(to, amount1);
    }

    // ------------------------------------------------------------------ parameters

    /// @inheritdoc IAdaptivePool
    function setFeeParams(uint32 baseFee_, uint64 k_) external onlyController {
        Bounds memory b = _bounds;
        if (baseFee_ < b.minBaseFee || baseFee_ > b.maxBaseFee) {
            revert BaseFeeOutOfBounds(baseFee_, b.minBaseFee, b.maxBaseFee);
        }
        if (k_ > b.maxK) revert KOutOfBounds(k_, b.maxK);
        baseFee = baseFee_;
        k = k_;
        fee = _dynamicFee();
        emit FeeParamsSet(msg.sender, baseFee_, k_);
        emit FeeUpdated(variance, fee);
    }

    /// @inheritdoc IAdaptivePool
    function setBounds(Bounds calldata bounds_) external onlyOwner {
        _setBounds(bounds_);
    }

    /// @inheritdoc IAdaptivePool
    function setBreaker(Breaker calldata breaker_) external onlyOwner {
        _setBreaker(breaker_);
    }

    /// @inheritdoc IAdaptivePool
    function setController(address controller_) external onlyOwner {
        controller = controller_;
        emit ControllerSet(controller_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAdaptivePool
    function state() external view returns (PoolState memory s) {
        s = PoolState({
            reserve0: reserve0,
            reserve1: reserve1,
            totalShares: totalShares,
            fee: fee,
            baseFee: baseFee,
            k: k,
            variance: variance,
            priceCumulative: priceCumulative,
            lastTimestamp: lastTimestamp,
            obsCumulative: obsCumulative,
            obsTimestamp: obsTimestamp,
            twapPrice: twapPrice,
            pausedUntil: pausedUntil
        });
    }

    /// @inheritdoc IAdaptivePool
    function spotPrice() external view returns (uint256) {
        return reserve0 == 0 ? 0 : _price(reserve0, reserve1);
    }

    /// @notice Governance's bounds on the controller.
    function bounds() external view returns (Bounds memory) {
        return _bounds;
    }

    /// @notice The breaker's configuration.
    function breaker() external view returns (Breaker memory) {
        return _breaker;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Accrues the price accumulator at the pre-change price and rolls the TWAP window when it is due.
    function _accumulate(uint64 now_, uint256 r0, uint256 r1) internal {
        uint64 last = lastTimestamp;
        if (now_ > last) {
            priceCumulative += _price(r0, r1) * (now_ - last);
            lastTimestamp = now_;
        }
        uint64 obsTs = obsTimestamp;
        if (now_ - obsTs >= _breaker.window) {
            uint256 cum = priceCumulative;
            uint256 twap = (cum - obsCumulative) / (now_ - obsTs);
            twapPrice = twap;
            obsCumulative = cum;
            obsTimestamp = now_;
            emit TwapUpdated(twap, now_);
        }
    }

    /// @dev Output and post-swap reserves of an exact-in swap at `feeNow`.
    function _quote(bool zeroForOne, uint256 amountIn, uint32 feeNow, uint256 r0, uint256 r1)
        internal
        pure
        returns (uint256 amountOut, uint256 n0, uint256 n1)
    {
        uint256 inAfterFee = amountIn * (FEE_SCALE - feeNow) / FEE_SCALE;
        (uint256 rIn, uint256 rOut) = zeroForOne ? (r0, r1) : (r1, r0);
        amountOut = inAfterFee * rOut / (rIn + inAfterFee);
        (n0, n1) = zeroForOne ? (r0 + amountIn, r1 - amountOut) : (r0 - amountOut, r1 + amountIn);
    }

    /// @dev The breaker's verdict on a swap moving the price from `oldPrice` to `newPrice`, against the TWAP reference
    ///      as `_accumulate` left it at this call. While swaps are paused (`now_ < pausedUntil`), a swap that increases
    ///      the deviation (or any swap, if the reference is 0 and no deviation can be measured) reverts
    ///      `SwapsPaused`, and every other swap executes, whatever the threshold. Otherwise, with the breaker on and a
    ///      nonzero reference, a swap whose new deviation exceeds the threshold and the old deviation trips it: swaps
    ///      pause for `cooldown` and this returns true (the swap is not executed).
    function _breakerStops(uint256 oldPrice, uint256 newPrice, uint64 now_) internal returns (bool) {
        uint256 twap = twapPrice;
        uint64 until = pausedUntil;
        if (now_ < until) {
            if (twap == 0 || _deviation(newPrice, twap) > _deviation(oldPrice, twap)) revert SwapsPaused(until);
            return false;
        }
        uint32 threshold = _breaker.threshold;
        if (threshold == 0 || twap == 0) return false;
        uint256 newDev = _deviation(newPrice, twap);
        if (newDev <= threshold || newDev <= _deviation(oldPrice, twap)) return false;
        until = now_ + _breaker.cooldown;
        pausedUntil = until;
        emit BreakerTripped(newPrice, twap, until);
        return true;
    }

    function _price(uint256 r0, uint256 r1) internal pure returns (uint256) {
        return r1 * WAD / r0;
    }

    function _deviation(uint256 p, uint256 twap) internal pure returns (uint256) {
        return (p > twap ? p - twap : twap - p) * FEE_SCALE / twap;
    }

    function _nextVariance(uint256 v, uint256 p0, uint256 p1) internal pure returns (uint256) {
        uint256 move = p0 == 0 ? WAD : (p1 > p0 ? p1 - p0 : p0 - p1) * WAD / p0;
        if (move > WAD) move = WAD;
        return (v * (WAD - ALPHA) + move * move / WAD * ALPHA) / WAD;
    }

    function _dynamicFee() internal view returns (uint32) {
        uint256 f = uint256(baseFee) + uint256(k) * variance / WAD;
        uint256 cap = _bounds.maxFee;
        return uint32(f > cap ? cap : f);
    }

    function _setBounds(Bounds memory b) internal {
        if (b.minBaseFee > b.maxBaseFee || b.maxBaseFee > b.maxFee || b.maxFee >= FEE_SCALE) revert InvalidBounds();
        if (baseFee < b.minBaseFee || baseFee > b.maxBaseFee) {
            revert BaseFeeOutOfBounds(baseFee, b.minBaseFee, b.maxBaseFee);
        }
        if (k > b.maxK) revert KOutOfBounds(k, b.maxK);
        _bounds = b;
        fee = _dynamicFee();
        emit BoundsSet(b.minBaseFee, b.maxBaseFee, b.maxK, b.maxFee);
        emit FeeUpdated(variance, fee);
    }

    function _setBreaker(Breaker memory b) internal {
        if (b.window == 0 || b.cooldown == 0 || b.threshold >= FEE_SCALE) revert InvalidBreaker();
        _breaker = b;
        emit BreakerSet(b.threshold, b.window, b.cooldown);
    }
}
