// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILendingMarket
/// @notice One isolated market: suppliers lend the debt token (token1 of the pool), borrowers post the collateral
///         token (token0) and borrow against it up to `lltv` of its oracle value. The borrow rate follows a kinked
///         utilisation curve that a controller may move only within governance's bounds; interest accrues linearly
///         per interaction; anyone may liquidate an unhealthy position at the oracle price plus a bonus; debt left
///         with no collateral is written off against suppliers and counted as bad debt.
///
///         Exact integer math (reproduced to the wei by `src/defi/lendingMath.ts`), Morpho-Blue-style shares:
///           toSharesDown(a, A, S) = a * (S + 1e6) / (A + 1)        toSharesUp   = ceil of the same
///           toAssetsDown(s, A, S) = s * (A + 1) / (S + 1e6)        toAssetsUp   = ceil of the same
///         utilisation U = A_supply == 0 ? 0 : min(A_borrow * 1e18 / A_supply, 1e18)
///         rate(U) (per year, WAD) = U <= kink ? base + slope1 * U / kink
///                                             : base + slope1 + slope2 * (U - kink) / (1e18 - kink)
///         accrue (first thing in every state-changing call, also governance's): dt = now - lastAccrual; if dt > 0:
///           lastAccrual = now; if A_borrow > 0: interest = A_borrow * rate(U) * dt / (1e18 * 365 days);
///           A_borrow += interest; A_supply += interest;
///           feeShares = toSharesDown(interest * reserveFactor / 1e18, A_supply - that fee, S_supply) to treasury.
///         healthy(account, price) iff toAssetsUp(borrowShares) <= collateral * price / 1e18 * lltv / 1e18.
interface ILendingMarket {
    /// @notice The borrow-rate curve (annual rates and kink in WAD).
    struct Curve {
        uint64 baseRate;
        uint64 slope1;
        uint64 slope2;
        uint64 kink; // 0 < kink < 1e18
    }

    /// @notice Governance's limits on the curve the controller may set.
    struct CurveBounds {
        uint64 maxBaseRate;
        uint64 maxSlope1;
        uint64 maxSlope2;
        uint64 minKink;
        uint64 maxKink;
    }

    /// @notice Everything the off-chain mirror compares, in one read.
    struct MarketState {
        uint256 totalSupplyAssets;
        uint256 totalSupplyShares;
        uint256 totalBorrowAssets;
        uint256 totalBorrowShares;
        uint256 totalCollateral;
        uint256 badDebt; // cumulative debt written off
        uint64 lastAccrual;
        Curve curve;
    }

    /// @notice One account's position.
    struct Position {
        uint256 supplyShares;
        uint256 borrowShares;
        uint256 collateral;
    }

    event Supplied(address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);
    event Withdrawn(address indexed caller, address indexed to, uint256 assets, uint256 shares);
    event CollateralSupplied(address indexed caller, address indexed onBehalf, uint256 assets);
    event CollateralWithdrawn(address indexed caller, address indexed to, uint256 assets);
    event Borrowed(address indexed caller, address indexed to, uint256 assets, uint256 shares);
    event Repaid(address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);
    /// @notice `liquidator` repaid `repaid` of `borrower`'s debt at oracle `price` and seized `seized` collateral.
    event Liquidated(
        address indexed liquidator, address indexed borrower, uint256 repaid, uint256 shares, uint256 seized, uint256 price
    );
    /// @notice Debt left with no collateral behind it was written off against suppliers.
    event BadDebtRealized(address indexed borrower, uint256 assets, uint256 shares);
    /// @notice Interest accrued; `feeShares` minted to the treasury; `rate` the annual rate used.
    event Accrued(uint256 interest, uint256 feeShares, uint256 rate);
    event CurveSet(address indexed by, Curve curve);
    event CurveBoundsSet(CurveBounds bounds);
    event ControllerSet(address indexed controller);
    event OracleSet(address indexed oracle);
    event ReserveSet(uint64 reserveFactor, address indexed treasury);

    error ZeroAmount();
    error ZeroAddress();
    /// @notice The borrow (or a withdrawal) would leave borrows above supply.
    error InsufficientLiquidity(uint256 totalBorrowAssets, uint256 totalSupplyAssets);
    /// @notice The position would not be healthy: `debt` above `maxDebt` at the oracle price.
    error InsufficientCollateral(uint256 debt, uint256 maxDebt);
    /// @notice The account holds fewer supply shares / collateral than asked.
    error InsufficientBalance(uint256 requested, uint256 available);
    /// @notice The position is healthy and cannot be liquidated.
    error HealthyPosition(uint256 debt, uint256 maxDebt);
    /// @notice The account has no debt to repay or liquidate.
    error NoDebt();
    error NotController(address caller);
    /// @notice A curve outside governance's bounds (or kink not in (0, 1e18)).
    error CurveOutOfBounds();
    /// @notice Bounds inconsistent (minKink > maxKink, kink bounds not in (0, 1e18)) or the current curve outside them.
    error InvalidBounds();
    /// @notice Risk parameters out of range: lltv not in (0, 1e18), bonus >= 1e18, lltv * (1e18 + bonus) >= 1e36 (a
    ///         liquidation at lltv would seize more collateral value than the position holds, so a borrower could
    ///         liquidate itself at a profit and leave bad debt), the same token on both sides, or reserveFactor >
    ///         0.5e18.
    error InvalidRiskParams();

    /// @notice Lends `assets` of the debt token; supply shares go to `onBehalf`.
    function supply(uint256 assets, address onBehalf) external returns (uint256 shares);
    /// @notice Withdraws `assets` (type(uint256).max = everything) of the caller's supply to `to`.
    /// @dev shares burned = toSharesUp(assets); for max: shares = all, assets = toAssetsDown(shares).
    function withdraw(uint256 assets, address to) external returns (uint256 withdrawn, uint256 shares);
    /// @notice Posts `assets` of the collateral token for `onBehalf`.
    function supplyCollateral(uint256 assets, address onBehalf) external;
    /// @notice Takes back `assets` of the caller's collateral to `to`; the position must stay healthy.
    function withdrawCollateral(uint256 assets, address to) external;
    /// @notice Borrows `assets` of the debt token to `to` (shares = toSharesUp); the position must stay healthy.
    function borrow(uint256 assets, address to) external returns (uint256 shares);
    /// @notice Repays up to `assets` (type(uint256).max = all) of `onBehalf`'s debt.
    /// @dev If assets >= toAssetsUp(borrowShares) the whole debt is repaid (assets = that); else shares =
    ///      toSharesDown(assets).
    function repay(uint256 assets, address onBehalf) external returns (uint256 repaid, uint256 shares);
    /// @notice Liquidates an unhealthy `borrower`: repays up to `repayAssets` (max = whole debt) and seizes
    ///         repaid * (1e18 + bonus) / price collateral (capped at the collateral, then repaid = ceil(seized * price
    ///         / (1e18 + bonus))). Shares repaid: all if repaid == debt, else toSharesDown(repaid). If the borrower is
    ///         left with no collateral and some debt, that debt (toAssetsUp, at most A_borrow) is written off.
    function liquidate(address borrower, uint256 repayAssets)
        external
        returns (uint256 repaid, uint256 seized, uint256 badDebt);

    /// @notice Controller: sets the curve within governance's bounds (accrues at the old curve first).
    function setCurve(Curve calldata curve) external;
    /// @notice Governance: sets the curve bounds (the current curve must lie inside).
    function setCurveBounds(CurveBounds calldata bounds) external;
    /// @notice Governance: replaces the curve controller.
    function setController(address controller) external;
    /// @notice Governance: replaces the oracle.
    function setOracle(address oracle) external;
    /// @notice Governance: share of interest minted to `treasury` as supply shares (WAD, at most 0.5e18).
    function setReserve(uint64 reserveFactor, address treasury) external;

    /// @notice The market's state as stored (interest accrued up to `lastAccrual`).
    function state() external view returns (MarketState memory);
    /// @notice An account's position.
    function position(address account) external view returns (Position memory);
    /// @notice The current annual borrow rate at the stored utilisation, WAD.
    function borrowRate() external view returns (uint256);
    /// @notice Whether `account` can be liquidated now (stored state, current oracle price).
    function isLiquidatable(address account) external view returns (bool);
}
